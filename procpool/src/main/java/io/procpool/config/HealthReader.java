package io.procpool.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a service's {@code health-check}: either the short form, a path string as in the
 * manifest ({@code "/?q=health"}), or an object whose missing keys come from the defaults. The
 * keys every kind of probe shares are read here; the kind's own keys by its {@link ProbeKinds.Kind}.
 */
final class HealthReader {

    /** The keys every kind shares. */
    static final Set<String> COMMON_KEYS = Set.of("type", "interval", "timeout", "failure-threshold", "success-threshold",
            "start-period", "start-interval");

    private HealthReader() {
    }

    /** Every key a health-check may have: the shared ones and every kind's own. */
    static Set<String> allKeys() {
        Set<String> all = new HashSet<>(COMMON_KEYS);
        all.addAll(ProbeKinds.kindKeys());
        return all;
    }

    /**
     * @param svc the service's keys, its defaults merged in
     * @param written the service's keys as written in its own block (no defaults)
     */
    static HealthSettings read(FieldReader svc, Config written, Config defaults, ProbeKinds.Service service, String source,
                               List<ConfigError> errors) {
        Config reference = ConfigFactory.defaultReference(PoolConfigLoader.class.getClassLoader()).getConfig(PoolSection.KEY + ".defaults.health-check");
        Config inherited = defaults.hasPath("health-check") && defaults.getValue("health-check").valueType() == ConfigValueType.OBJECT
                ? defaults.getConfig("health-check").withFallback(reference) : reference;
        ConfigValue v = svc.value("health-check");
        Config own;
        if (v.valueType() == ConfigValueType.STRING) {
            own = ConfigFactory.empty().withValue("path", v);
        } else if (v.valueType() == ConfigValueType.OBJECT) {
            own = ((ConfigObject) v).toConfig();
        } else {
            svc.fail("health-check", v, "must be a path such as \"/?q=health\" or an object { path = ..., interval = ... }");
            return null;
        }
        FieldReader h = new FieldReader(own.withFallback(inherited), source, service.name(), "health-check.", errors);
        h.rejectUnknownKeys(allKeys());
        ProbeKinds.Kind kind = kind(h);
        // A key of another kind, written in this service's own block, would be silently ignored: say so.
        // (One from the section's defaults is not: a default path does not concern the service that chose exec.)
        ConfigValue mine = written.hasPath("health-check") ? written.getValue("health-check") : null;
        if (mine != null && mine.valueType() == ConfigValueType.OBJECT && kind != null) {
            Config block = ((ConfigObject) mine).toConfig();
            FieldReader blockReader = new FieldReader(block, source, service.name(), "health-check.", errors);
            for (String key : block.root().keySet()) {
                if (ProbeKinds.kindKeys().contains(key) && !kind.keys().contains(key)) {
                    blockReader.fail(key, block.root().get(key), "is a key of " + ProbeKinds.owner(key)
                            + " probes, and this probe is " + kind.name() + " (health-check.type)");
                }
            }
        }
        ProbeSpec probe = kind == null ? new NoProbe() : kind.read(h, service);
        var interval = h.duration("interval", false, null);
        var timeout = h.duration("timeout", false, null);
        int failures = h.integer("failure-threshold", 1, 1000);
        int successes = h.integer("success-threshold", 1, 1000);
        var startPeriod = h.duration("start-period", true, "failures count from the start");
        var startInterval = h.duration("start-interval", false, null);
        return new HealthSettings(probe, interval, timeout, failures, successes, startPeriod, startInterval);
    }

    /** The kind the service chose, or the default: http when a path is set, else tcp. */
    private static ProbeKinds.Kind kind(FieldReader h) {
        if (!h.has("type")) {
            return ProbeKinds.ALL.get(h.string("path").trim().isEmpty() ? "tcp" : "http");
        }
        String name = h.string("type").trim().toLowerCase(Locale.ROOT);
        ProbeKinds.Kind kind = ProbeKinds.ALL.get(name);
        if (kind == null) {
            h.fail("type", "must be " + String.join(", ", ProbeKinds.ALL.keySet()) + ", got \"" + h.string("type") + "\"");
        }
        return kind;
    }
}
