package io.procpool.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.List;
import java.util.Locale;

/**
 * Reads a service's {@code health-check}: either the short form, a path string as in the
 * manifest ({@code "/?q=health"}), or an object whose missing keys come from the defaults.
 */
final class HealthReader {

    private HealthReader() {
    }

    static HealthSettings read(FieldReader svc, Config defaults, String source, String service, List<ConfigError> errors) {
        Config reference = ConfigFactory.defaultReference(PoolConfigLoader.class.getClassLoader()).getConfig("pool.defaults.health-check");
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
        FieldReader h = new FieldReader(own.withFallback(inherited), source, service, "health-check.", errors);
        h.rejectUnknownKeys(PoolConfigLoader.HEALTH_KEYS);
        String path = h.string("path").trim();
        HealthSettings.Type type;
        if (h.has("type")) {
            String t = h.string("type").trim().toUpperCase(Locale.ROOT);
            type = switch (t) {
                case "HTTP" -> HealthSettings.Type.HTTP;
                case "TCP" -> HealthSettings.Type.TCP;
                case "NONE" -> HealthSettings.Type.NONE;
                default -> {
                    h.fail("type", "must be http, tcp or none, got \"" + h.string("type") + "\"");
                    yield HealthSettings.Type.NONE;
                }
            };
        } else {
            type = path.isEmpty() ? HealthSettings.Type.TCP : HealthSettings.Type.HTTP;
        }
        if (type == HealthSettings.Type.HTTP && !path.startsWith("/")) {
            h.fail("path", path.isEmpty() ? "is needed for an http probe, such as \"/?q=health\""
                    : "must start with '/', such as \"/health\", got \"" + path + "\"");
        }
        var interval = h.duration("interval", false, null);
        var timeout = h.duration("timeout", false, null);
        int failures = h.integer("failure-threshold", 1, 1000);
        int successes = h.integer("success-threshold", 1, 1000);
        var startPeriod = h.duration("start-period", true, "failures count from the start");
        var startInterval = h.duration("start-interval", false, null);
        String expect = h.string("expect-status");
        var range = StatusRange.parse(expect);
        if (range.isEmpty()) {
            h.fail("expect-status", "must list HTTP statuses such as \"2xx\", \"200,204\" or \"200-399\", got \"" + expect + "\"");
        }
        boolean keepAlive = h.bool("keep-alive");
        return new HealthSettings(type, path, interval, timeout, failures, successes, startPeriod, startInterval,
                range.orElse(null), keepAlive);
    }
}
