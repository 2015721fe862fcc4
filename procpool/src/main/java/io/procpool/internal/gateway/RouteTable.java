package io.procpool.internal.gateway;

import io.procpool.config.RouteSettings;
import io.procpool.config.ServiceSettings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which service a request goes to, by its host and path: the longest matching path prefix wins, a
 * route for the request's host before a route for any host. Immutable; the gateway swaps a new
 * table in on a reload.
 */
final class RouteTable {

    /** One service's route. */
    record Route(String service, RouteSettings settings) {

        String prefix() {
            return settings.pathPrefix();
        }
    }

    /** The route a request matched and the path the instance is sent. */
    record Match(Route route, String path) {
    }

    /** Longest prefix first; at equal length, a route with a host first. */
    private static final Comparator<Route> ORDER = Comparator.<Route>comparingInt(r -> -r.prefix().length())
            .thenComparing(r -> r.settings().host().isEmpty());

    private final List<Route> routes;

    private RouteTable(List<Route> routes) {
        this.routes = routes;
    }

    /** The routes of the enabled services. */
    static RouteTable of(Collection<ServiceSettings> services) {
        List<Route> routes = new ArrayList<>();
        for (ServiceSettings s : services) {
            if (s.enabled()) {
                routes.add(new Route(s.name(), s.route()));
            }
        }
        routes.sort(ORDER);
        return new RouteTable(List.copyOf(routes));
    }

    /** Every route, longest prefix first. */
    List<Route> routes() {
        return routes;
    }

    /**
     * The route of a request for {@code host} (a Host header, with or without a port; null for none)
     * and {@code path} (the raw path, starting with '/').
     */
    Optional<Match> match(String host, String path) {
        String bareHost = host == null ? "" : withoutPort(host).toLowerCase(Locale.ROOT);
        for (Route r : routes) {
            if (r.settings().host().isPresent() && !r.settings().host().get().equals(bareHost)) {
                continue;
            }
            String prefix = r.prefix();
            if (prefix.equals("/")) {
                return Optional.of(new Match(r, path));
            }
            if (path.startsWith(prefix) && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/')) {
                if (!r.settings().stripPrefix()) {
                    return Optional.of(new Match(r, path));
                }
                String rest = path.substring(prefix.length());
                return Optional.of(new Match(r, rest.isEmpty() ? "/" : rest));
            }
        }
        return Optional.empty();
    }

    private static String withoutPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(0, end + 1);
        }
        int colon = host.lastIndexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }
}
