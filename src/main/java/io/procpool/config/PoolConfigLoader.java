package io.procpool.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a pool configuration (a HOCON or JSON file, or a {@code Config} an application already
 * has) into validated, immutable {@link PoolSettings}. Every problem is collected and reported
 * together as an {@link InvalidConfigException}; nothing is half-read.
 *
 * <p>Two shapes are accepted: procpool's own ({@code pool { services { NAME {...} } }}) and the
 * manifest of the Python pool manager procpool replaces ({@code {"pools": {NAME: {...}}}} with
 * snake_case keys), which is translated key by key so its errors still point at its lines.
 */
public final class PoolConfigLoader {

    static final Set<String> TOP_LEVEL_KEYS = Set.of("pool", "pekko");
    /** Set on a configuration translated from the manifest shape: its errors then use its snake_case names. */
    private static final String MANIFEST_MARK = "procpool-manifest-shape";
    static final Set<String> POOL_KEYS = Set.of("admin", "state-dir", "defaults", "services", "watch-config",
            "children-die-with-manager");
    static final Set<String> ADMIN_KEYS = Set.of("enabled", "host", "port", "token");
    static final Set<String> SERVICE_KEYS = Set.of("enabled", "command", "ports", "min-processes",
            "max-processes", "working-dir", "env", "health-check", "restart", "stop", "log", "scaling", "limits");
    static final Set<String> SCALING_KEYS = Set.of("enabled", "metric", "target", "target-latency", "up-after",
            "down-after", "interval", "tolerance");
    static final Set<String> LIMIT_KEYS = Set.of("max-rss", "max-cpu", "for");
    static final Set<String> HEALTH_KEYS = HealthReader.allKeys();
    static final Set<String> RESTART_KEYS = Set.of("min-backoff", "max-backoff", "random-factor", "reset-after",
            "max-restarts", "cooldown");
    static final Set<String> STOP_KEYS = Set.of("signal", "timeout");
    static final Set<String> LOG_KEYS = Set.of("max-size", "keep");

    private PoolConfigLoader() {
    }

    /**
     * Reads and validates a pool file. Relative paths in it resolve against {@code baseDir}.
     *
     * @throws InvalidConfigException with every problem found, each naming the file
     */
    public static PoolSettings loadFile(Path file, Path baseDir) throws InvalidConfigException {
        return fromConfig(parseFile(file), file.toString(), baseDir);
    }

    /**
     * Parses a pool file into a {@code Config} with procpool's and Pekko's defaults under it,
     * translated from the manifest shape if needed, and resolved. Does not validate services.
     */
    public static Config parseFile(Path file) throws InvalidConfigException {
        String name = file.toString();
        if (!Files.isRegularFile(file)) {
            throw single(name, Files.exists(file) ? "is not a regular file" : "no such file");
        }
        if (!Files.isReadable(file)) {
            throw single(name, "cannot be read (permission denied)");
        }
        checkUtf8(file, name);
        ConfigSyntax syntax = name.toLowerCase(Locale.ROOT).endsWith(".json") ? ConfigSyntax.JSON : ConfigSyntax.CONF;
        Config parsed;
        try {
            parsed = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setSyntax(syntax).setAllowMissing(false).setOriginDescription(name));
        } catch (ConfigException e) {
            throw single(name, lineOf(e), "cannot be parsed: " + stripOrigin(e));
        }
        List<ConfigError> errors = new ArrayList<>();
        if (!parsed.hasPath("pool") && !parsed.hasPath("pools") && TOP_LEVEL_KEYS.containsAll(parsed.root().keySet())) {
            // (An unknown key instead, such as 'pol', gets its own error with a suggestion below.)
            errors.add(new ConfigError(name, -1, null, "pool", "is missing: the file has no 'pool' section; a pool is "
                    + "pool { services { NAME { command = \"...\", ports = [...] } } } (see conf/pool.conf)"));
        }
        Config own = translateManifest(parsed, name, errors);
        for (String key : own.root().keySet()) {
            if (key.equals(MANIFEST_MARK)) {
                continue;
            }
            if (!TOP_LEVEL_KEYS.contains(key)) {
                String hint = Suggest.closest(key, TOP_LEVEL_KEYS).map(k -> " (did you mean '" + k + "'?)").orElse("");
                errors.add(new ConfigError(name, own.root().get(key).origin().lineNumber(), null, key,
                        "unknown top-level key" + hint + "; procpool reads 'pool' (and 'pekko' to tune its actor system)"));
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(errors);
        }
        try {
            // -Dpool.admin.port=9901 and the like override the file, as Typesafe Config users expect.
            // (The class loader is explicit: this also runs on signal threads, which have none.)
            Config overrides = ConfigFactory.systemProperties().withOnlyPath("pool")
                    .withFallback(ConfigFactory.systemProperties().withOnlyPath("pekko"));
            return overrides.withFallback(own).withFallback(ConfigFactory.defaultReference(PoolConfigLoader.class.getClassLoader())).resolve();
        } catch (ConfigException e) {
            throw single(name, lineOf(e), "cannot be resolved: " + stripOrigin(e));
        }
    }

    /**
     * A configuration is UTF-8 (as HOCON and JSON say). The parser would read other bytes as
     * replacement characters and run a command nobody wrote; this says where they are instead.
     */
    private static void checkUtf8(Path file, String name) throws InvalidConfigException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw single(name, "cannot be read: " + e.getMessage());
        }
        java.nio.charset.CharsetDecoder decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
        java.nio.charset.CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw single(name, line, "is not UTF-8 text: byte " + (at + 1) + " (0x"
                    + String.format(Locale.ROOT, "%02x", bytes[at] & 0xff) + ") cannot be decoded; save the file as UTF-8");
        }
        for (byte b : bytes) {
            if (b == 0) {
                throw single(name, "is not a text file (it contains NUL bytes)");
            }
        }
    }

    /**
     * Validates the {@code pool} section of {@code config} (which must already carry procpool's
     * reference defaults, as {@code ConfigFactory.load()} or {@link #parseFile} give).
     *
     * @param source how to name the configuration in messages (a file name)
     * @param baseDir what relative paths resolve against
     */
    public static PoolSettings fromConfig(Config config, String source, Path baseDir) throws InvalidConfigException {
        List<ConfigError> errors = new ArrayList<>();
        // Harmless when the defaults are already there; needed when an application hands in a bare Config.
        config = config.withFallback(ConfigFactory.defaultReference(PoolConfigLoader.class.getClassLoader()));
        FieldReader pool = new FieldReader(config, source, null, "", errors).child("pool");
        if (pool == null) {
            throw new InvalidConfigException(errors);
        }
        pool = new FieldReader(pool.config(), source, null, "pool.", errors);
        pool.rejectUnknownKeys(POOL_KEYS);
        AdminSettings admin = readAdmin(pool.child("admin"));
        Path stateDir = baseDir.resolve(pool.string("state-dir")).normalize();
        boolean watchConfig = pool.bool("watch-config");
        boolean dieWithManager = pool.bool("children-die-with-manager");

        FieldReader defaults = pool.child("defaults");
        if (defaults != null) {
            defaults.rejectUnknownKeys(SERVICE_KEYS);
            for (String noDefault : List.of("command", "ports")) {
                if (defaults.has(noDefault)) {
                    defaults.fail(noDefault, "cannot have a default: every service sets its own");
                }
            }
        }
        Map<String, ServiceSettings> services = new LinkedHashMap<>();
        Map<String, PortsAt> portsByService = new LinkedHashMap<>();
        ConfigValue servicesValue = pool.value("services");
        if (servicesValue.valueType() != ConfigValueType.OBJECT) {
            pool.fail("services", servicesValue, "must be an object { NAME { command = ..., ports = [...] } }");
        } else if (defaults != null) {
            for (Map.Entry<String, ConfigValue> e : inFileOrder((ConfigObject) servicesValue)) {
                readService(e.getKey(), e.getValue(), defaults.config(), source, baseDir, errors, portsByService)
                        .ifPresent(s -> services.put(s.name(), s));
            }
        }
        checkPorts(portsByService, admin, source, pool, errors);
        if (Files.exists(stateDir) && !Files.isDirectory(stateDir)) {
            pool.fail("state-dir", stateDir + " exists and is not a directory");
        }
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(config.hasPath(MANIFEST_MARK) ? errors.stream().map(PoolConfigLoader::inManifestNames).toList()
                    : errors);
        }
        return new PoolSettings(source, admin, stateDir, services, watchConfig, dieWithManager);
    }

    /** An error about a manifest, with the keys named as the manifest writes them (min_processes, not min-processes). */
    private static ConfigError inManifestNames(ConfigError e) {
        String message = e.message();
        for (Set<String> keys : List.of(SERVICE_KEYS, HEALTH_KEYS, RESTART_KEYS)) {
            for (String k : keys) {
                if (k.contains("-")) {
                    message = message.replace(k, k.replace('-', '_'));
                }
            }
        }
        return new ConfigError(e.file(), e.line(), e.service(), e.key() == null ? null : e.key().replace('-', '_'), message);
    }

    /** HOCON objects are unordered; services keep the order they were written in (status, logs). */
    private static List<Map.Entry<String, ConfigValue>> inFileOrder(ConfigObject object) {
        List<Map.Entry<String, ConfigValue>> entries = new ArrayList<>(object.entrySet());
        entries.sort(java.util.Comparator
                .comparing((Map.Entry<String, ConfigValue> e) -> String.valueOf(e.getValue().origin().filename()))
                .thenComparingInt(e -> e.getValue().origin().lineNumber())
                .thenComparing(Map.Entry::getKey));
        return entries;
    }

    private static AdminSettings readAdmin(FieldReader admin) {
        if (admin == null) {
            return new AdminSettings(false, "127.0.0.1", 0, Optional.empty());
        }
        admin.rejectUnknownKeys(ADMIN_KEYS);
        boolean enabled = admin.bool("enabled");
        String host = admin.string("host").trim();
        int port = admin.integer("port", 0, 65535);
        String token = admin.string("token");
        if (host.isEmpty()) {
            admin.fail("host", "must not be empty; use \"127.0.0.1\" for loopback");
        }
        Optional<String> tokenOpt = token.isBlank() ? Optional.empty() : Optional.of(token);
        if (enabled && tokenOpt.isEmpty() && !isLoopback(host)) {
            admin.fail("host", "binds the admin API to a non-loopback address (" + host
                    + ") without a token; set pool.admin.token or bind to 127.0.0.1");
        }
        return new AdminSettings(enabled, host, port, tokenOpt);
    }

    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.equals("::1") || host.equals("[::1]") || host.startsWith("127.");
    }

    private static Optional<ServiceSettings> readService(String name, ConfigValue value, Config defaults,
                                                         String source, Path baseDir, List<ConfigError> errors,
                                                         Map<String, PortsAt> portsByService) {
        int before = errors.size();
        if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
            errors.add(new ConfigError(source, value.origin().lineNumber(), name, null,
                    "the service name may only use letters, digits, '-' and '_' (1 to 64 of them)"));
        }
        if (value.valueType() != ConfigValueType.OBJECT) {
            errors.add(new ConfigError(source, value.origin().lineNumber(), name, null,
                    "must be an object { command = ..., ports = [...] }, got " + FieldReader.describe(value)));
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
        if (!ports.isEmpty() && max > ports.size() && svc.valid("max-processes", "ports")) {
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
        if (scaling != null && scaling.enabled() && min == max && svc.valid("min-processes", "max-processes", "ports")) {
            svc.fail("scaling.enabled", "scales nothing: min-processes and max-processes are both " + min);
        }
        if (errors.size() > before) {
            return Optional.empty();
        }
        return Optional.of(new ServiceSettings(name, enabled, command, ports, min, max, workingDir, env,
                health, restart, stop, log, scaling, limits));
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
                .filter(sig -> sig != io.procpool.config.Signal.KILL && sig != io.procpool.config.Signal.CONT);
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
        return new LogSettings(maxSize, keep);
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
            default -> {
                s.fail("metric", "must be cpu or latency, got \"" + s.string("metric") + "\"");
                yield ScalingSettings.Metric.CPU;
            }
        };
        double target = s.decimal("target", 0.01, 64.0);
        var targetLatency = s.duration("target-latency", false, null);
        var upAfter = s.duration("up-after", true, "at once");
        var downAfter = s.duration("down-after", true, "at once");
        var interval = s.duration("interval", false, null);
        double tolerance = s.decimal("tolerance", 0.0, 0.9);
        return new ScalingSettings(enabled, metric, target, targetLatency, upAfter, downAfter, interval, tolerance);
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

    /** A service's ports and the line they are written on, for the checks across services. */
    private record PortsAt(List<Integer> ports, int line) {
    }

    private static void checkPorts(Map<String, PortsAt> portsByService, AdminSettings admin, String source,
                                   FieldReader pool, List<ConfigError> errors) {
        Map<Integer, String> owner = new HashMap<>();
        for (Map.Entry<String, PortsAt> s : portsByService.entrySet()) {
            for (int port : s.getValue().ports()) {
                String other = owner.putIfAbsent(port, s.getKey());
                if (other != null) {
                    errors.add(new ConfigError(source, s.getValue().line(), s.getKey(), "ports",
                            "port " + port + " is already used by service '" + other + "'; ports must be unique across services"));
                }
            }
        }
        if (admin.enabled() && admin.port() != 0 && owner.containsKey(admin.port())) {
            pool.fail("admin.port", "(" + admin.port() + ") is also a port of service '" + owner.get(admin.port())
                    + "'; the admin API needs a port of its own");
        }
    }

    /**
     * The manifest of the Python pool manager: {@code {"pools": {NAME: {"min_processes": 1, ...}}}}.
     * Keys are moved under {@code pool.services} with snake_case turned into procpool's kebab-case;
     * the values keep their origins, so errors still name the manifest's lines.
     */
    private static Config translateManifest(Config parsed, String source, List<ConfigError> errors) {
        if (!parsed.hasPath("pools")) {
            return parsed;
        }
        if (parsed.hasPath("pool")) {
            errors.add(new ConfigError(source, parsed.root().get("pools").origin().lineNumber(), null, "pools",
                    "a file holds either 'pool' (procpool's shape) or 'pools' (the manifest shape), not both"));
            return ConfigFactory.empty();
        }
        ConfigValue pools = parsed.root().get("pools");
        if (pools.valueType() != ConfigValueType.OBJECT) {
            errors.add(new ConfigError(source, pools.origin().lineNumber(), null, "pools",
                    "must be an object {NAME: {\"command\": ..., \"ports\": [...]}}"));
            return ConfigFactory.empty();
        }
        Config out = ConfigFactory.empty();
        for (Map.Entry<String, ConfigValue> svc : ((ConfigObject) pools).entrySet()) {
            String base = ConfigUtil.joinPath("pool", "services", svc.getKey());
            if (svc.getValue().valueType() != ConfigValueType.OBJECT) {
                out = out.withValue(base, svc.getValue());
                continue;
            }
            out = out.withValue(base, ConfigFactory.empty().root().withOrigin(svc.getValue().origin()));
            for (Map.Entry<String, ConfigValue> field : ((ConfigObject) svc.getValue()).entrySet()) {
                String key = field.getKey().replace('_', '-');
                out = out.withValue(ConfigUtil.joinPath("pool", "services", svc.getKey(), key), field.getValue());
            }
        }
        for (String key : parsed.root().keySet()) {
            if (!key.equals("pools")) {
                out = out.withValue(ConfigUtil.joinPath(key), parsed.root().get(key));
            }
        }
        return out.withValue(MANIFEST_MARK, com.typesafe.config.ConfigValueFactory.fromAnyRef(true));
    }

    private static InvalidConfigException single(String file, String message) {
        return single(file, -1, message);
    }

    private static InvalidConfigException single(String file, int line, String message) {
        return new InvalidConfigException(List.of(new ConfigError(file, line, null, null, message)));
    }

    private static int lineOf(ConfigException e) {
        return e.origin() == null ? -1 : e.origin().lineNumber();
    }

    /** Typesafe prefixes messages with the origin ("file: 3: ..."); we print our own. */
    private static String stripOrigin(ConfigException e) {
        String msg = e.getMessage();
        if (e.origin() != null) {
            String prefix = e.origin().description() + ": ";
            if (msg.startsWith(prefix)) {
                msg = msg.substring(prefix.length());
            }
        }
        // "java.io.IOException: resource not found": the class name is for programmers.
        return msg.replaceAll("(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_]*(?:Exception|Error): ", "");
    }
}
