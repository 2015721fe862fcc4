package io.procpool.internal.admin;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;

/**
 * Decides whether a mutating request may have come from another site's page (a cross-site form
 * post, a "simple" cross-origin {@code fetch}), which must change nothing, token or not: a browser
 * sends such requests with the operator's network position, and with no token set nothing else
 * stops them.
 *
 * <p>The rule: a request a browser sent (it carries {@code Origin} or {@code Sec-Fetch-Site})
 * must come from the admin host itself (its {@code Origin} names the {@code Host} it was sent to,
 * and {@code Sec-Fetch-Site} is not {@code cross-site} or {@code same-site}), and must carry a
 * header no form and no simple request can set ({@code Authorization} or
 * {@code X-Procpool-Request}), so that a cross-origin page would need a CORS preflight, which this
 * API never grants. A request with neither browser header is a program's (curl, poolctl, a
 * script) and is decided by the token alone, as before the dashboard.
 *
 * <p>It does not guard against DNS rebinding (a hostile name that resolves to the admin address is
 * "the admin host itself" to a browser); the token does, and binding beyond loopback needs one.
 */
final class CrossSiteGuard {

    /** The header the dashboard (and poolctl) send on every mutating call when there is no token to send. */
    static final String REQUEST_HEADER = "X-Procpool-Request";

    private CrossSiteGuard() {
    }

    /**
     * Why the request must be refused, or empty when it may go on to the token check.
     *
     * @param host the {@code Host} header the request was sent with, if any
     * @param origin its {@code Origin} header, if any
     * @param fetchSite its {@code Sec-Fetch-Site} header, if any
     * @param nonSimpleHeader whether it carries {@code Authorization} or {@link #REQUEST_HEADER}
     */
    static Optional<String> refusal(Optional<String> host, Optional<String> origin, Optional<String> fetchSite,
                                    boolean nonSimpleHeader) {
        if (origin.isEmpty() && fetchSite.isEmpty()) {
            return Optional.empty();
        }
        if (origin.isPresent() && !sameAuthority(origin.get(), host)) {
            return Optional.of("cross-origin request refused: Origin " + origin.get() + " is not this admin host ("
                    + host.orElse("no Host header") + ")");
        }
        String site = fetchSite.map(s -> s.trim().toLowerCase(Locale.ROOT)).orElse("");
        if (site.equals("cross-site") || site.equals("same-site")) {
            return Optional.of("cross-site request refused (Sec-Fetch-Site: " + site + ")");
        }
        if (!nonSimpleHeader) {
            return Optional.of("a browser's request needs the header " + REQUEST_HEADER + ": 1 or Authorization: Bearer TOKEN");
        }
        return Optional.empty();
    }

    /** Whether {@code origin} ({@code scheme://host[:port]}) names the authority of {@code host}. */
    private static boolean sameAuthority(String origin, Optional<String> host) {
        if (host.isEmpty()) {
            return false;
        }
        try {
            URI uri = new URI(origin.trim());
            if (uri.getHost() == null || uri.getScheme() == null) {
                return false; // "null" (a sandboxed page, a file:), or garbage
            }
            int defaultPort = uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
            String authority = uri.getHost().toLowerCase(Locale.ROOT) + ":" + (uri.getPort() < 0 ? defaultPort : uri.getPort());
            return authority.equals(withPort(host.get().trim().toLowerCase(Locale.ROOT), defaultPort));
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    /** {@code host[:port]} (a bracketed IPv6 address included) with the port made explicit. */
    private static String withPort(String host, int defaultPort) {
        int close = host.lastIndexOf(']');
        int colon = host.lastIndexOf(':');
        return colon > close ? host : host + ":" + defaultPort;
    }
}
