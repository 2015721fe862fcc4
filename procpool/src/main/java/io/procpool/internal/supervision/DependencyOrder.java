package io.procpool.internal.supervision;

import io.procpool.config.ServiceSettings;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The order that {@code depends-on} puts on starts and stops; pure, for the root to decide with.
 * A service starts once each service it depends on has an instance ready; when everything stops,
 * a service stops once no running service depends on it any more. Services without relations
 * start and stop together, as before there were relations.
 *
 * <p>It does not promise a sensible order for a configuration with a cycle, which the loader
 * refuses ({@code DependsOn} in {@code io.procpool.config}); it only promises that such a
 * configuration (built by hand, past the loader) never makes a stop wait for ever.
 */
final class DependencyOrder {

    private DependencyOrder() {
    }

    /** The services {@code service} depends on that have no instance ready yet; empty: it may start. */
    static List<String> unready(ServiceSettings service, Predicate<String> ready) {
        return service.dependsOn().stream().filter(ready.negate()).toList();
    }

    /**
     * The services of {@code running} that no other service of {@code running} depends on: those may
     * be stopped now. The others wait until their dependents are gone.
     */
    static List<String> stoppable(Map<String, ServiceSettings> services, Collection<String> running) {
        List<String> now = running.stream().filter(name -> dependents(services, running, name).isEmpty()).toList();
        // Only a cycle leaves every one waiting for another: stop them all rather than none.
        return now.isEmpty() ? List.copyOf(running) : now;
    }

    /** The services of {@code running} that depend on {@code service}. */
    static List<String> dependents(Map<String, ServiceSettings> services, Collection<String> running, String service) {
        return running.stream()
                .filter(other -> !other.equals(service) && services.containsKey(other)
                        && services.get(other).dependsOn().contains(service))
                .toList();
    }

    /**
     * The longest time a stop of every enabled service takes when each waits for its dependents:
     * the largest sum of {@code cost} along a chain of dependencies (one service alone when there
     * are none).
     */
    static Duration longestChain(Map<String, ServiceSettings> services, Function<ServiceSettings, Duration> cost) {
        Map<String, Duration> chainFrom = new HashMap<>();
        Duration longest = Duration.ZERO;
        for (ServiceSettings s : services.values()) {
            if (s.enabled()) {
                Duration d = chain(s, services, cost, chainFrom);
                longest = d.compareTo(longest) > 0 ? d : longest;
            }
        }
        return longest;
    }

    /** {@code cost} of {@code s} plus the longest chain among what it depends on (stopped after it). */
    private static Duration chain(ServiceSettings s, Map<String, ServiceSettings> services,
                                  Function<ServiceSettings, Duration> cost, Map<String, Duration> chainFrom) {
        Duration known = chainFrom.get(s.name());
        if (known != null) {
            return known;
        }
        chainFrom.put(s.name(), Duration.ZERO); // ends a cycle, should one get past the loader
        Duration after = Duration.ZERO;
        for (String dep : s.dependsOn()) {
            ServiceSettings d = services.get(dep);
            if (d != null && d.enabled() && !dep.equals(s.name())) {
                Duration c = chain(d, services, cost, chainFrom);
                after = c.compareTo(after) > 0 ? c : after;
            }
        }
        Duration total = cost.apply(s).plus(after);
        chainFrom.put(s.name(), total);
        return total;
    }
}
