package io.procpool.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code depends-on} key: the services a service starts after and stops before. Read with
 * each service ({@link #read}), then checked across the services ({@link #check}) once all are
 * read: every name is a service, an enabled service depends only on enabled services that start
 * an instance, and no service waits for itself, directly or round a cycle.
 */
final class DependsOn {

    static final String KEY = "depends-on";

    private DependsOn() {
    }

    /**
     * What one service declared, kept even when the service has other errors, so that a name
     * that does exist is never reported as unknown because its service was misconfigured.
     *
     * @param names the services it depends on, in the order written
     * @param line the line of the key (or of the service when the key is absent)
     * @param enabled the service's {@code enabled}
     */
    record Declared(List<String> names, int line, boolean enabled) {
    }

    /**
     * The names under {@code depends-on} in the service's own object ({@code own}): never from
     * {@code pool.defaults}, where the loader refuses the key (every service would depend on the
     * same service, that one included).
     */
    static List<String> read(FieldReader svc, Config own) {
        if (!own.hasPath(KEY)) {
            return List.of();
        }
        ConfigValue v = svc.value(KEY);
        if (v.valueType() != ConfigValueType.LIST) {
            svc.fail(KEY, v, "must be a list of service names such as [db, cache], got " + FieldReader.describe(v));
            return List.of();
        }
        List<String> names = new ArrayList<>();
        List<?> items = (List<?>) v.unwrapped();
        for (int i = 0; i < items.size(); i++) {
            Object o = items.get(i);
            // A name of digits only is written without quotes as a number.
            String name = o instanceof String s ? s.trim() : o instanceof Integer || o instanceof Long ? String.valueOf(o) : null;
            if (name == null || name.isEmpty()) {
                svc.fail(KEY + "[" + i + "]", v, "must be the name of a service, got " + (o instanceof String ? "\"\"" : describe(o)));
            } else if (names.contains(name)) {
                svc.fail(KEY + "[" + i + "]", v, "repeats '" + name + "'");
            } else {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * Checks every service's {@code depends-on} against the others.
     *
     * @param declared what each service wrote, by name, in file order (every service, valid or not)
     * @param valid the services read without error (for their min-processes)
     */
    static void check(Map<String, Declared> declared, Map<String, ServiceSettings> valid, String source,
                      List<ConfigError> errors) {
        for (Map.Entry<String, Declared> e : declared.entrySet()) {
            String name = e.getKey();
            Declared d = e.getValue();
            for (String dep : d.names()) {
                Declared target = declared.get(dep);
                String problem = null;
                if (dep.equals(name)) {
                    problem = "'" + name + "' depends on itself; a service cannot wait for its own start: remove it";
                } else if (target == null) {
                    problem = "no service '" + dep + "'"
                            + Suggest.closest(dep, declared.keySet()).map(k -> " (did you mean '" + k + "'?)").orElse("")
                            + "; services: " + String.join(", ", declared.keySet());
                } else if (d.enabled() && !target.enabled()) {
                    problem = "'" + dep + "' is disabled (enabled = false), so '" + name + "' would wait for it for ever; "
                            + "enable '" + dep + "', take it out of depends-on, or disable '" + name + "' too";
                } else if (d.enabled() && valid.containsKey(dep) && valid.get(dep).minProcesses() == 0) {
                    problem = "'" + dep + "' starts no instance (min-processes = 0), so '" + name + "' would wait for it for ever; "
                            + "give '" + dep + "' min-processes = 1 or more, or take it out of depends-on";
                }
                if (problem != null) {
                    errors.add(new ConfigError(source, d.line(), name, KEY, problem));
                }
            }
        }
        for (List<String> cycle : cycles(declared)) {
            String first = cycle.get(0);
            errors.add(new ConfigError(source, declared.get(first).line(), first, KEY, "is a cycle: "
                    + String.join(" -> ", cycle) + "; each would wait for the other to start: take one of them out of "
                    + "the other's depends-on"));
        }
    }

    /**
     * The cycles of two or more services (a service naming itself is reported on its own), each
     * once: a depth-first walk in file order, one cycle per edge back into the walk's path.
     */
    static List<List<String>> cycles(Map<String, Declared> declared) {
        Map<String, Integer> state = new HashMap<>(); // absent: not seen; 1: on the path; 2: done
        List<List<String>> found = new ArrayList<>();
        for (String start : declared.keySet()) {
            walk(start, declared, state, new ArrayList<>(), found);
        }
        return found;
    }

    private static void walk(String service, Map<String, Declared> declared, Map<String, Integer> state, List<String> path,
                             List<List<String>> found) {
        if (state.containsKey(service)) {
            return;
        }
        state.put(service, 1);
        path.add(service);
        for (String dep : declared.get(service).names()) {
            if (dep.equals(service) || !declared.containsKey(dep)) {
                continue;
            }
            Integer seen = state.get(dep);
            if (seen == null) {
                walk(dep, declared, state, path, found);
            } else if (seen == 1) {
                List<String> cycle = new ArrayList<>(path.subList(path.indexOf(dep), path.size()));
                cycle.add(dep);
                found.add(List.copyOf(cycle));
            }
        }
        path.remove(path.size() - 1);
        state.put(service, 2);
    }

    private static String describe(Object o) {
        if (o == null) {
            return "null";
        }
        return o instanceof Map ? "an object" : o instanceof List ? "a list" : String.valueOf(o);
    }
}
