package io.procpool.config;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kinds of health probe, by {@code health-check.type}: each names its own keys and reads them
 * into its {@link ProbeSpec}. A new kind is its spec record, a {@link Kind} registered here, and
 * its prober registered with procpool's probe router ({@code internal.health.ProbeRouter}); the
 * keys every kind shares (interval, timeout, thresholds, start period) are read once, by
 * {@link HealthReader}.
 */
final class ProbeKinds {

    /** What the reading of a kind's keys may use of its service. */
    record Service(String name, Path workingDir, Map<String, String> env) {
    }

    /** One kind of probe: its name, its own keys, and how they are read. */
    interface Kind {
        String name();

        Set<String> keys();

        /** Reads the kind's keys from {@code h} (errors go through it); a placeholder when they are wrong. */
        ProbeSpec read(FieldReader h, Service service);
    }

    private static final Kind HTTP = new Kind() {
        @Override
        public String name() {
            return "http";
        }

        @Override
        public Set<String> keys() {
            return Set.of("path", "expect-status", "keep-alive");
        }

        @Override
        public ProbeSpec read(FieldReader h, Service service) {
            String path = h.string("path").trim();
            if (!path.startsWith("/")) {
                h.fail("path", path.isEmpty() ? "is needed for an http probe, such as \"/?q=health\""
                        : "must start with '/', such as \"/health\", got \"" + path + "\"");
            }
            String expect = h.string("expect-status");
            var range = StatusRange.parse(expect);
            if (range.isEmpty()) {
                h.fail("expect-status", "must list HTTP statuses such as \"2xx\", \"200,204\" or \"200-399\", got \"" + expect + "\"");
            }
            return new HttpProbe(path, range.orElse(null), h.bool("keep-alive"));
        }
    };

    private static final Kind TCP = simple("tcp", new TcpProbe());
    private static final Kind NONE = simple("none", new NoProbe());

    private static final Kind EXEC = new Kind() {
        @Override
        public String name() {
            return "exec";
        }

        @Override
        public Set<String> keys() {
            return Set.of("command");
        }

        @Override
        public ProbeSpec read(FieldReader h, Service service) {
            if (!h.has("command")) {
                h.fail("command", "is needed for an exec probe: what to run, such as command = \"./check.sh {port}\"");
                return new ExecProbe(List.of("true"), service.workingDir(), service.env());
            }
            ConfigValue v = h.value("command");
            List<String> words = new ArrayList<>();
            if (v.valueType() == ConfigValueType.LIST) {
                for (Object o : (List<?>) v.unwrapped()) {
                    words.add(String.valueOf(o));
                }
            } else if (v.valueType() == ConfigValueType.STRING) {
                try {
                    words.addAll(CommandLine.split(h.string("command")));
                } catch (CommandLine.SyntaxException e) {
                    h.fail("command", v, e.getMessage());
                }
            } else {
                h.fail("command", v, "must be a command line or a list of words, got " + FieldReader.describe(v));
            }
            if (words.isEmpty() && !h.failed("command")) {
                h.fail("command", v, "must not be empty");
            }
            return new ExecProbe(words.isEmpty() ? List.of("true") : words, service.workingDir(), service.env());
        }
    };

    /** Every kind, by name. */
    static final Map<String, Kind> ALL = byName(HTTP, TCP, EXEC, NONE);

    private ProbeKinds() {
    }

    /** Every key some kind has: a key of another kind than the one chosen is a mistake worth naming. */
    static Set<String> kindKeys() {
        Set<String> all = new java.util.TreeSet<>();
        ALL.values().forEach(k -> all.addAll(k.keys()));
        return all;
    }

    /** The kind that has {@code key} among its own keys. */
    static String owner(String key) {
        return ALL.values().stream().filter(k -> k.keys().contains(key)).map(Kind::name).findFirst().orElse("?");
    }

    private static Kind simple(String name, ProbeSpec spec) {
        return new Kind() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Set<String> keys() {
                return Set.of();
            }

            @Override
            public ProbeSpec read(FieldReader h, Service service) {
                return spec;
            }
        };
    }

    private static Map<String, Kind> byName(Kind... kinds) {
        Map<String, Kind> out = new LinkedHashMap<>();
        for (Kind k : kinds) {
            out.put(k.name(), k);
        }
        return java.util.Collections.unmodifiableMap(out); // keeps the order the error message lists them in
    }
}
