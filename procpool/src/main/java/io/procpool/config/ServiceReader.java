package io.procpool.config;

import static io.procpool.config.PoolConfigLoader.LIMIT_KEYS;
import static io.procpool.config.PoolConfigLoader.LOG_KEYS;
import static io.procpool.config.PoolConfigLoader.RESTART_KEYS;
import static io.procpool.config.PoolConfigLoader.SCALING_KEYS;
import static io.procpool.config.PoolConfigLoader.SERVICE_KEYS;
import static io.procpool.config.PoolConfigLoader.DRAIN_KEYS;
import static io.procpool.config.PoolConfigLoader.ROUTE_KEYS;
import static io.procpool.config.PoolConfigLoader.STOP_KEYS;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads one service of a pool file into its {@link ServiceSettings}: its own keys, the defaults
 * merged under them, every section (health-check, restart, stop, log, scaling, limits), and the
 * checks within the service. Every mistake becomes a {@link ConfigError} that names the file,
 * the line, the service and the key; reading goes on, so that all are reported at once.
 */
final class ServiceReader {

    private ServiceReader() {
    }

    static Optional<ServiceSettings> readService(String name, ConfigValue value, Config defaults,
                                                         String source, Path baseDir, List<ConfigError> errors,
                                                         Map<String, PortsAt> portsByService,
                                                         Map<String, DependsOn.Declared> dependsOnByService, boolean clustered) {
        int before = errors.size();
        if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
            errors.add(new ConfigError(source, value.origin().lineNumber(), name, null,
                    "the service name may only use letters, digits, '-' and '_' (1 to 64 of them)"));
        }
        if (value.valueType() != ConfigValueType.OBJECT) {
            errors.add(new ConfigError(source, value.origin().lineNumber(), name, null,
                    "must be an object { command = ..., ports = [...] }, got " + FieldReader.describe(value)));
            // Still a service: a depends-on naming it is not also "no service".
            dependsOnByService.put(name, new DependsOn.Declared(List.of(), value.origin().lineNumber(), true));
            return Optional.empty();
        }
        Config own = ((ConfigObject) value).toConfig();
        FieldReader svc = new FieldReader(own.withFallback(defaults), source, name, "", errors)
                .atLine(value.origin().lineNumber());
        svc.rejectUnknownKeys(SERVICE_KEYS);
        boolean enabled = svc.bool("enabled");
        List<String> command = checkCommandLength(svc, readCommand(svc));
        List<Integer> ports = readPorts(svc);
        // Checked across services even when this one has other errors: report them all at once.
        portsByService.put(name, new PortsAt(ports, svc.has("ports") ? svc.value("ports").origin().lineNumber()
                : value.origin().lineNumber()));
        List<String> dependsOn = DependsOn.read(svc, own);
        int dependsOnLine = own.hasPath(DependsOn.KEY) ? own.getValue(DependsOn.KEY).origin().lineNumber()
                : value.origin().lineNumber();
        dependsOnByService.put(name, new DependsOn.Declared(dependsOn, dependsOnLine, enabled || svc.failed("enabled")));
        int maxPorts = Math.max(ports.size(), 0);
        int min = svc.has("min-processes") ? svc.integer("min-processes", 0, 65535) : maxPorts;
        int max = svc.has("max-processes") ? svc.integer("max-processes", 1, 65535) : Math.max(1, maxPorts);
        // Each check across keys only when the keys it compares were valid: one mistake, one error.
        boolean bothWritten = svc.has("min-processes") && svc.has("max-processes");
        if (min > max && svc.valid("min-processes", "max-processes") && (bothWritten || svc.valid("ports"))) {
            if (svc.has("min-processes")) {
                svc.fail("min-processes", "(" + min + ") must not exceed max-processes (" + max
                        + (svc.has("max-processes") ? "" : ", the number of ports by default") + ")");
            } else {
                svc.fail("max-processes", "(" + max + ") must not be below min-processes (" + min
                        + ", every port by default): set min-processes too");
            }
        }
        // On a cluster node the counts are the cluster's, and this node's ports only its share.
        if (!clustered && !ports.isEmpty() && max > ports.size() && svc.valid("max-processes", "ports")) {
            svc.fail("max-processes", "(" + max + ") must not exceed the number of ports (" + ports.size()
                    + "): each instance needs a port of its own");
        }
        Path workingDir = baseDir.resolve(svc.string("working-dir")).normalize();
        if (enabled && !Files.isDirectory(workingDir)) {
            svc.fail("working-dir", "is not an existing directory: " + workingDir);
        }
        Map<String, String> env = readEnv(svc);
        HealthSettings health = HealthReader.read(svc, own, defaults, new ProbeKinds.Service(name, workingDir, env), source, errors);
        RestartSettings restart = readRestart(svc.child("restart"));
        StopSettings stop = readStop(svc.child("stop"));
        LogSettings log = readLog(svc.child("log"));
        ScalingSettings scaling = readScaling(svc.child("scaling"));
        LimitSettings limits = readLimits(svc.child("limits"));
        RouteSettings route = readRoute(name, svc.child("route"));
        DrainSettings drain = readDrain(svc.child("drain"));
        RunAs runAs = RunAs.read(svc, enabled);
        List<String> placementRoles = readPlacement(svc.child("placement"), clustered);
        if (scaling != null && scaling.enabled() && min == max && svc.valid("min-processes", "max-processes", "ports")) {
            svc.fail("scaling.enabled", "scales nothing: min-processes and max-processes are both " + min);
        }
        if (errors.size() > before) {
            return Optional.empty();
        }
        return Optional.of(new ServiceSettings(name, enabled, command, ports, min, max, workingDir, env,
                health, restart, stop, log, scaling, limits, route, drain, dependsOn, runAs, placementRoles));
    }

    /** {@code placement { roles = [...] }}: which cluster nodes may run the service. */
    private static List<String> readPlacement(FieldReader p, boolean clustered) {
        if (p == null) {
            return List.of();
        }
        p.rejectUnknownKeys(PoolConfigLoader.PLACEMENT_KEYS);
        if (!p.has("roles")) {
            return List.of();
        }
        ConfigValue value = p.value("roles");
        if (value.valueType() != ConfigValueType.LIST) {
            p.fail("roles", value, "must be a list of role names, such as [\"web\"]");
            return List.of();
        }
        List<String> roles = new java.util.ArrayList<>();
        for (ConfigValue v : (com.typesafe.config.ConfigList) value) {
            roles.add(String.valueOf(v.unwrapped()).trim());
        }
        if (!roles.isEmpty() && !clustered) {
            p.fail("roles", value, "places the service on cluster nodes by their roles, but procpool.cluster.enabled is off: "
                    + "a pool alone runs every service itself");
        }
        return List.copyOf(roles);
    }

    private static List<String> readCommand(FieldReader svc) {
        if (!svc.has("command")) {
            svc.fail("command", "is missing: say what to run, such as command = \"./build/search.cgi {port}\"");
            return List.of();
        }
        ConfigValue v = svc.value("command");
        if (v.valueType() == ConfigValueType.LIST) {
            List<String> words = new ArrayList<>();
            for (Object o : (List<?>) v.unwrapped()) {
                if (o instanceof Map || o instanceof List || o == null) {
                    svc.fail("command", v, "must be a list of strings, and one item is " + (o == null ? "null" : "not a string"));
                    return List.of();
                }
                words.add(String.valueOf(o));
            }
            if (words.isEmpty() || words.get(0).isBlank()) {
                svc.fail("command", v, "must not be empty");
                return List.of();
            }
            return words;
        }
        if (v.valueType() != ConfigValueType.STRING) {
            svc.fail("command", v, "must be a command line such as \"./build/search.cgi {port}\" or a list of words, not a "
                    + v.valueType().name().toLowerCase(Locale.ROOT));
            return List.of();
        }
        String text = svc.string("command");
        try {
            return CommandLine.split(text);
        } catch (CommandLine.SyntaxException e) {
            svc.fail("command", v, e.getMessage());
            return List.of();
        }
    }

    /** Linux refuses longer ones at exec time (PATH_MAX for the program, MAX_ARG_STRLEN for any word). */
    private static final int MAX_PROGRAM = 4096;
    private static final int MAX_WORD = 128 * 1024;

    private static List<String> checkCommandLength(FieldReader svc, List<String> words) {
        if (!words.isEmpty() && words.get(0).getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= MAX_PROGRAM) {
            svc.fail("command", "names a program longer than the " + MAX_PROGRAM + " bytes a path may have");
            return List.of();
        }
        for (String w : words) {
            if (w.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= MAX_WORD) {
                svc.fail("command", "has a word of " + w.length() + " characters; Linux passes at most " + MAX_WORD
                        + " bytes in one argument");
                return List.of();
            }
        }
        return words;
    }

    private static List<Integer> readPorts(FieldReader svc) {
        if (!svc.has("ports")) {
            svc.fail("ports", "is missing: list the ports instances run on, such as ports = [8000, 8001]");
            return List.of();
        }
        ConfigValue v = svc.value("ports");
        if (v.valueType() != ConfigValueType.LIST) {
            svc.fail("ports", v, "must be a list of ports such as [8000, 8001], got " + FieldReader.describe(v));
            return List.of();
        }
        List<Integer> ports = new ArrayList<>();
        List<?> items = (List<?>) v.unwrapped();
        if (items.isEmpty()) {
            svc.fail("ports", v, "must list at least one port");
        }
        for (int i = 0; i < items.size(); i++) {
            Object o = items.get(i);
            Integer port = null;
            if (o instanceof Integer n) {
                port = n;
            } else if (o instanceof String s && s.trim().matches("\\d{1,5}")) {
                port = Integer.parseInt(s.trim());
            }
            if (port == null || port < 1 || port > 65535) {
                svc.fail("ports[" + i + "]", v, "must be a port between 1 and 65535, got " + o);
            } else if (ports.contains(port)) {
                svc.fail("ports[" + i + "]", v, "repeats port " + port);
            } else {
                ports.add(port);
            }
        }
        return ports;
    }

    private static Map<String, String> readEnv(FieldReader svc) {
        FieldReader env = svc.child("env");
        Map<String, String> out = new HashMap<>();
        if (env == null) {
            return out;
        }
        for (Map.Entry<String, ConfigValue> e : env.config().root().entrySet()) {
            String key = e.getKey();
            ConfigValue v = e.getValue();
            if (key.isEmpty() || key.contains("=") || key.indexOf('\0') >= 0) {
                env.fail(key, v, "is not a valid environment variable name");
            } else if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST
                    || v.valueType() == ConfigValueType.NULL) {
                env.fail(key, v, "must be a string, number or boolean, got " + FieldReader.describe(v));
            } else {
                out.put(key, String.valueOf(v.unwrapped()));
            }
        }
        return out;
    }

    private static RestartSettings readRestart(FieldReader r) {
        if (r == null) {
            return null;
        }
        r.rejectUnknownKeys(RESTART_KEYS);
        var min = r.duration("min-backoff", true, "no backoff");
        var max = r.duration("max-backoff", false, null);
        double factor = r.decimal("random-factor", 0.0, 1.0);
        var reset = r.duration("reset-after", false, null);
        int maxRestarts = r.integer("max-restarts", 0, 1_000_000);
        var cooldown = r.duration("cooldown", true, "never retry");
        if (min.compareTo(max) > 0 && r.valid("min-backoff", "max-backoff")) {
            r.fail("max-backoff", "(" + Durations.format(max) + ") must not be less than min-backoff ("
                    + Durations.format(min) + ")");
        }
        return new RestartSettings(min, max, factor, reset, maxRestarts, cooldown);
    }

    private static StopSettings readStop(FieldReader s) {
        if (s == null) {
            return null;
        }
        s.rejectUnknownKeys(STOP_KEYS);
        String signalName = s.string("signal");
        var signal = io.procpool.config.Signal.parse(signalName)
                .filter(io.procpool.config.Signal.STOP_SIGNALS::contains);
        if (signal.isEmpty()) {
            s.fail("signal", "must be TERM, INT, QUIT or HUP, got \"" + signalName + "\"");
        }
        var timeout = s.duration("timeout", false, null);
        return new StopSettings(signal.orElse(io.procpool.config.Signal.TERM), timeout);
    }

    private static LogSettings readLog(FieldReader l) {
        if (l == null) {
            return null;
        }
        l.rejectUnknownKeys(LOG_KEYS);
        long maxSize = l.bytes("max-size", 1024, 1L << 40);
        int keep = l.integer("keep", 0, 100);
        String stderr = l.string("stderr").trim().toLowerCase(Locale.ROOT);
        if (!stderr.equals("merged") && !stderr.equals("separate")) {
            l.fail("stderr", "must be merged (stderr into the same file as stdout) or separate (SERVICE-PORT.err.log), got \""
                    + l.string("stderr") + "\"");
        }
        return new LogSettings(maxSize, keep, stderr.equals("separate") ? LogSettings.Stderr.SEPARATE : LogSettings.Stderr.MERGED,
                l.bool("timestamps"));
    }

    private static ScalingSettings readScaling(FieldReader s) {
        if (s == null) {
            return null;
        }
        s.rejectUnknownKeys(SCALING_KEYS);
        boolean enabled = s.bool("enabled");
        String metricName = s.string("metric").trim().toUpperCase(Locale.ROOT);
        ScalingSettings.Metric metric = switch (metricName) {
            case "CPU" -> ScalingSettings.Metric.CPU;
            case "LATENCY" -> ScalingSettings.Metric.LATENCY;
            case "IN-FLIGHT" -> ScalingSettings.Metric.IN_FLIGHT;
            default -> {
                s.fail("metric", "must be cpu, latency or in-flight, got \"" + s.string("metric") + "\"");
                yield ScalingSettings.Metric.CPU;
            }
        };
        double target = s.decimal("target", 0.01, 64.0);
        var targetLatency = s.duration("target-latency", false, null);
        double targetInFlight = s.decimal("target-in-flight", 0.01, 1_000_000.0);
        var upAfter = s.duration("up-after", true, "at once");
        var downAfter = s.duration("down-after", true, "at once");
        var interval = s.duration("interval", false, null);
        double tolerance = s.decimal("tolerance", 0.0, 0.9);
        return new ScalingSettings(enabled, metric, target, targetLatency, targetInFlight, upAfter, downAfter, interval,
                tolerance);
    }

    private static LimitSettings readLimits(FieldReader l) {
        if (l == null) {
            return null;
        }
        l.rejectUnknownKeys(LIMIT_KEYS);
        long maxRss = l.bytes("max-rss", 0, 1L << 50);
        double maxCpu = l.decimal("max-cpu", 0.0, 1024.0);
        var sustained = l.duration("for", true, "at once");
        return new LimitSettings(maxRss, maxCpu, sustained);
    }

    private static RouteSettings readRoute(String name, FieldReader r) {
        if (r == null) {
            return null;
        }
        r.rejectUnknownKeys(ROUTE_KEYS);
        String prefix = r.string("path-prefix").trim();
        if (prefix.isEmpty()) {
            prefix = "/" + name;
        } else if (!prefix.startsWith("/") || prefix.contains("?") || prefix.contains("#") || prefix.contains("//")) {
            r.fail("path-prefix", "must be a path such as \"/api\" (starting with '/', no '?', '#' or '//'), got \"" + prefix + "\"");
        }
        if (prefix.length() > 1 && prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        boolean strip = r.bool("strip-prefix");
        String host = r.string("host").trim().toLowerCase(java.util.Locale.ROOT);
        if (host.contains("/") || host.contains(" ")) {
            r.fail("host", "must be a host name such as \"search.example\", got \"" + host + "\"");
        }
        var timeout = r.duration("request-timeout", false, null);
        long maxBody = r.has("max-body") && !r.string("max-body").isBlank() && !r.string("max-body").equals("unlimited")
                ? r.bytes("max-body", 0, Long.MAX_VALUE) : -1;
        return new RouteSettings(prefix, strip, host.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(host), timeout,
                maxBody < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(maxBody));
    }

    private static DrainSettings readDrain(FieldReader d) {
        if (d == null) {
            return null;
        }
        d.rejectUnknownKeys(DRAIN_KEYS);
        return new DrainSettings(d.duration("delay", true, "none"), d.duration("timeout", true, "do not wait for in-flight requests"));
    }

    /** Two enabled services on the same route (host and prefix) would take each other's traffic: an error. */
    static void checkRoutes(java.util.Collection<ServiceSettings> services, String source, List<ConfigError> errors) {
        Map<String, String> owner = new java.util.HashMap<>();
        for (ServiceSettings s : services) {
            if (!s.enabled()) {
                continue;
            }
            String key = s.route().host().orElse("") + " " + s.route().pathPrefix();
            String other = owner.putIfAbsent(key, s.name());
            if (other != null) {
                errors.add(new ConfigError(source, 0, s.name(), "route.path-prefix", "\"" + s.route().pathPrefix() + "\""
                        + s.route().host().map(h -> " for host " + h).orElse("") + " is also the route of service '" + other
                        + "'; each service needs a route of its own"));
            }
        }
    }

    /** A service's ports and the line they are written on, for the checks across services. */
    record PortsAt(List<Integer> ports, int line) {
    }
}
