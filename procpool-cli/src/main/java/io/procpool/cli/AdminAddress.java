package io.procpool.cli;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where poolctl finds the manager, from what a person types: {@code http://127.0.0.1:9900},
 * {@code 127.0.0.1:9900}, {@code :9900} (loopback) or a bare host (port 9900, the default admin
 * port). A full URL may carry a path (the API behind a reverse proxy). Anything else is a usage
 * error that says what would be valid, never a stack trace.
 */
final class AdminAddress {

    /** The admin API's default port ({@code procpool.admin.port}). */
    static final int DEFAULT_PORT = 9900;

    /** A text that is no admin address; the message says why and what would be valid. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    private AdminAddress() {
    }

    /**
     * Where to reach a manager whose admin API binds to {@code host} and {@code port} (its pool file's
     * {@code admin}, or its {@code PROCPOOL_ADMIN_HOST} and {@code _PORT}): a wildcard bind is reached
     * on loopback, an IPv6 host gets its brackets.
     */
    static URI ofBind(String host, String port, String from) throws Invalid {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        h = switch (h) {
            case "0.0.0.0" -> "127.0.0.1";
            case "::", "0:0:0:0:0:0:0:0" -> "::1";
            default -> h;
        };
        return parse((h.contains(":") ? "[" + h + "]" : h) + ":" + port, from);
    }

    /**
     * The base URI of the admin API (ending in {@code /}).
     *
     * @param text what was given
     * @param from where it was given ({@code --admin}, {@code $PROCPOOL_ADMIN}), for the message
     */
    static URI parse(String text, String from) throws Invalid {
        String given = text == null ? "" : text.trim();
        String hint = "; use host:port, :port or http://host:port";
        if (given.isEmpty()) {
            throw new Invalid(from + " is empty" + hint);
        }
        String url = given.startsWith(":") ? "http://127.0.0.1" + given
                : given.contains("://") ? given
                : "http://" + given;
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new Invalid(from + " '" + given + "' is not an address: " + e.getReason() + hint);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new Invalid(from + " '" + given + "': the scheme must be http or https, not '" + uri.getScheme() + "'" + hint);
        }
        if (uri.getHost() == null) {
            // A port that is not a number leaves java.net.URI without a host (a "registry" authority).
            String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
            int colon = authority.lastIndexOf(':');
            String why = colon >= 0 && !authority.substring(colon + 1).matches("\\d+")
                    ? "the port must be a number from 1 to 65535, got '" + authority.substring(colon + 1) + "'"
                    : "no host in it";
            throw new Invalid(from + " '" + given + "': " + why + hint);
        }
        if (uri.getRawAuthority().endsWith(":")) {
            throw new Invalid(from + " '" + given + "': no port after the ':'" + hint);
        }
        int port = uri.getPort();
        if (port == 0 || port > 65535) {
            throw new Invalid(from + " '" + given + "': the port must be a number from 1 to 65535, got " + port + hint);
        }
        if (port < 0 && !given.contains("://")) {
            port = DEFAULT_PORT;
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new Invalid(from + " '" + given + "': an address takes no ?query or #fragment" + hint);
        }
        String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
        try {
            return new URI(scheme, null, uri.getHost(), port, path.endsWith("/") ? path : path + "/", null, null);
        } catch (URISyntaxException e) {
            throw new Invalid(from + " '" + given + "' is not an address: " + e.getReason() + hint);
        }
    }
}
