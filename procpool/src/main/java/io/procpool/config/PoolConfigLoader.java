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
import java.time.Duration;
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
 * <p>Two shapes are accepted: procpool's own ({@code procpool { services { NAME {...} } }}, or
 * {@code pool { ... }}, the older name of the same section) and the manifest of the Python pool
 * manager procpool replaces ({@code {"pools": {NAME: {...}}}} with snake_case keys), which is
 * translated key by key so its errors still point at its lines.
 *
 * <p>A pool file is overridden by {@code -D} system properties, and those by the environment
 * ({@link EnvironmentOverrides}); messages name the section by the key the file wrote.
 */
public final class PoolConfigLoader {

    static final Set<String> TOP_LEVEL_KEYS = Set.of(PoolSection.KEY, PoolSection.OLD_KEY, "pekko");
    /** Set on a configuration translated from the manifest shape: its errors then use its snake_case names. */
    private static final String MANIFEST_MARK = "procpool-manifest-shape";
    /**
     * Set by {@link #parseFile} on a file with unknown top-level keys (their names): they are
     * said by {@link #fromConfig} with the rest of the file's errors, not alone before them.
     */
    private static final String UNKNOWN_TOP_LEVEL_MARK = "procpool-unknown-top-level-keys";
    /** The keys of the section under its old name, {@code pool}. */
    static final Set<String> OLD_POOL_KEYS = Set.of("admin", "state-dir", "defaults", "services", "watch-config",
            "children-die-with-manager", "gateway", "feeds", "startup-timeout", "cluster");
    /** The keys of the section: the old ones and, only under {@code procpool}, the dispatchers of its threads. */
    static final Set<String> POOL_KEYS = union(OLD_POOL_KEYS, Set.of("dispatchers"));
    static final Set<String> FEED_KEYS = Set.of("file", "reload-command", "keepalive");
    static final Set<String> CLUSTER_KEYS = Set.of("enabled", "bind", "seed-nodes", "roles", "advertise-host", "on-downed", "tls");
    static final Set<String> TLS_KEYS = Set.of("enabled", "key-store", "password-file", "trust-store");
    static final Set<String> GATEWAY_KEYS = Set.of("enabled", "host", "port", "balance", "queue-timeout", "max-queued");
    static final Set<String> ADMIN_KEYS = Set.of("enabled", "host", "port", "token", "token-file");
    static final Set<String> SERVICE_KEYS = Set.of("enabled", "command", "ports", "min-processes",
            "max-processes", "working-dir", "env", "health-check", "restart", "stop", "log", "scaling", "limits",
            "route", "drain", DependsOn.KEY, "user", "group", "umask", "placement");
    static final Set<String> PLACEMENT_KEYS = Set.of("roles");
    static final Set<String> ROUTE_KEYS = Set.of("path-prefix", "strip-prefix", "host", "request-timeout", "max-body");
    static final Set<String> DRAIN_KEYS = Set.of("delay", "timeout");
    static final Set<String> SCALING_KEYS = Set.of("enabled", "metric", "target", "target-latency", "target-in-flight", "up-after",
            "down-after", "interval", "tolerance");
    static final Set<String> LIMIT_KEYS = Set.of("max-rss", "max-cpu", "for");
    static final Set<String> HEALTH_KEYS = HealthReader.allKeys();
    static final Set<String> RESTART_KEYS = Set.of("min-backoff", "max-backoff", "random-factor", "reset-after",
            "max-restarts", "cooldown");
    static final Set<String> STOP_KEYS = Set.of("signal", "timeout");
    static final Set<String> LOG_KEYS = Set.of("max-size", "keep", "stderr", "timestamps");

    private PoolConfigLoader() {
    }

    /**
     * Reads and validates a pool file. Relative paths in it resolve against {@code baseDir}.
     *
     * @throws InvalidConfigException with every problem found, each naming the file
     */
    public static PoolSettings loadFile(Path file, Path baseDir) throws InvalidConfigException {
        return loadFile(file, baseDir, System.getenv());
    }

    /** {@link #loadFile(Path, Path)} with {@code env} as the environment. */
    public static PoolSettings loadFile(Path file, Path baseDir, Map<String, String> env) throws InvalidConfigException {
        return fromConfig(parseFile(file, env), file.toString(), baseDir);
    }

    /** {@link #parseFile(Path, Map)} with the process's environment. */
    public static Config parseFile(Path file) throws InvalidConfigException {
        return parseFile(file, System.getenv());
    }

    /**
     * Parses a pool file into a {@code Config} with procpool's and Pekko's defaults under it,
     * translated from the manifest shape if needed, overridden by {@code -D} system properties and
     * by {@code env} (in that order: the environment wins), and resolved. Does not validate services.
     */
    public static Config parseFile(Path file, Map<String, String> env) throws InvalidConfigException {
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
        boolean hasSection = parsed.hasPath(PoolSection.KEY) || parsed.hasPath(PoolSection.OLD_KEY);
        if (!hasSection && !parsed.hasPath("pools") && TOP_LEVEL_KEYS.containsAll(parsed.root().keySet())) {
            // (An unknown key instead, such as 'pol', gets its own error with a suggestion below.)
            errors.add(new ConfigError(name, -1, null, PoolSection.KEY, "is missing: the file has no 'procpool' section; a pool is "
                    + "procpool { services { NAME { command = \"...\", ports = [...] } } } (see conf/pool.conf)"));
        }
        if (parsed.hasPath(PoolSection.KEY) && parsed.hasPath(PoolSection.OLD_KEY)) {
            int lineNew = parsed.root().get(PoolSection.KEY).origin().lineNumber();
            int lineOld = parsed.root().get(PoolSection.OLD_KEY).origin().lineNumber();
            errors.add(new ConfigError(name, Math.max(lineNew, lineOld), null, null, "has both 'procpool' (line " + lineNew
                    + ") and 'pool' (line " + lineOld + "): 'pool' is the older name of 'procpool', and a file holds one of them; "
                    + "move what is under 'pool' into 'procpool'"));
        }
        Config own = translateManifest(parsed, name, errors);
        List<String> unknown = own.root().keySet().stream().filter(k -> !k.equals(MANIFEST_MARK) && !TOP_LEVEL_KEYS.contains(k))
                .sorted().toList();
        if (!errors.isEmpty()) {
            for (String k : unknown) {
                errors.add(unknownTopLevel(name, own, k));
            }
            throw new InvalidConfigException(errors);
        }
        if (!unknown.isEmpty()) {
            own = own.withValue(UNKNOWN_TOP_LEVEL_MARK, com.typesafe.config.ConfigValueFactory.fromIterable(unknown));
        }
        // Overrides go under the key the file wrote, whichever of the two names they use.
        String key = own.hasPath(PoolSection.OLD_KEY) ? PoolSection.OLD_KEY : PoolSection.KEY;
        Config environment = EnvironmentOverrides.of(env, key);
        try {
            // -Dprocpool.admin.port=9901 and the like override the file, as Typesafe Config users expect.
            // (The class loader is explicit: this also runs on signal threads, which have none.)
            Config properties = ConfigFactory.systemProperties();
            // The dispatchers are tuned under 'procpool' whatever the file's key (-Dprocpool.dispatchers.X).
            Config dispatchers = properties.hasPath(PoolSection.KEY + ".dispatchers")
                    ? properties.withOnlyPath(PoolSection.KEY + ".dispatchers") : ConfigFactory.empty();
            Config overrides = environment
                    .withFallback(movedTo(properties.withoutPath(PoolSection.KEY + ".dispatchers"), PoolSection.KEY, key))
                    .withFallback(movedTo(properties, PoolSection.OLD_KEY, key))
                    .withFallback(dispatchers)
                    .withFallback(properties.withOnlyPath("pekko"));
            return overrides.withFallback(own).withFallback(ConfigFactory.defaultReference(PoolConfigLoader.class.getClassLoader())).resolve();
        } catch (ConfigException e) {
            throw single(name, lineOf(e), "cannot be resolved: " + stripOrigin(e));
        }
    }

    private static ConfigError unknownTopLevel(String source, Config config, String key) {
        String hint = Suggest.closest(key, TOP_LEVEL_KEYS).map(k -> " (did you mean '" + k + "'?)").orElse("");
        return new ConfigError(source, config.root().get(key).origin().lineNumber(), null, key,
                "unknown top-level key" + hint + "; procpool reads 'procpool' (or 'pool', its older name), and 'pekko' "
                + "to tune its actor system");
    }

    /** What {@code config} has under {@code from}, under {@code to}; empty when it has nothing there. */
    private static Config movedTo(Config config, String from, String to) {
        return config.hasPath(from) ? ConfigFactory.empty().withValue(to, config.getValue(from)) : ConfigFactory.empty();
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
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
     * Validates the pool section of {@code config}: {@code procpool}, or {@code pool} (its older
     * name) when nothing under {@code procpool} was set outside procpool's own defaults. An
     * application's {@code pool} beside a {@code procpool} is its own and left alone.
     *
     * @param source how to name the configuration in messages (a file name)
     * @param baseDir what relative paths resolve against
     */
    public static PoolSettings fromConfig(Config config, String source, Path baseDir) throws InvalidConfigException {
        List<ConfigError> errors = new ArrayList<>();
        if (config.hasPath(UNKNOWN_TOP_LEVEL_MARK)) {
            Config file = config;
            config.getStringList(UNKNOWN_TOP_LEVEL_MARK).forEach(k -> errors.add(unknownTopLevel(source, file, k)));
        }
        // Harmless when the defaults are already there; needed when an application hands in a bare Config.
        config = PoolSection.withoutJvmFlags(config.withFallback(ConfigFactory.defaultReference(PoolConfigLoader.class.getClassLoader())),
                POOL_KEYS);
        String key = PoolSection.keyOf(config);
        FieldReader pool = new FieldReader(config, source, null, "", errors).child(key);
        if (pool == null) {
            throw new InvalidConfigException(errors);
        }
        boolean oldKey = key.equals(PoolSection.OLD_KEY);
        // Under the old name, procpool's defaults still come from 'procpool'; the dispatchers stay there.
        Config section = oldKey ? PoolSection.systemPropertiesForOldKey(config, pool.config()).withFallback(pool.config())
                .withFallback(config.getConfig(PoolSection.KEY).withoutPath("dispatchers")) : pool.config();
        pool = new FieldReader(section, source, null, key + ".", errors);
        pool.rejectUnknownKeys(oldKey ? OLD_POOL_KEYS : POOL_KEYS);
        if (!oldKey) {
            pool.child("dispatchers");
        }
        AdminSettings admin = readAdmin(pool.child("admin"), key, baseDir);
        GatewaySettings gateway = readGateway(pool.child("gateway"));
        ClusterSettings cluster = readCluster(pool.child("cluster"), baseDir);
        List<FeedSettings> feeds = readFeeds(pool.child("feeds"), baseDir);
        Path stateDir = baseDir.resolve(pool.string("state-dir")).normalize();
        boolean watchConfig = pool.bool("watch-config");
        boolean dieWithManager = pool.bool("children-die-with-manager");
        Duration startupTimeout = pool.duration("startup-timeout", false, null);

        FieldReader defaults = pool.child("defaults");
        if (defaults != null) {
            defaults.rejectUnknownKeys(SERVICE_KEYS);
            for (String noDefault : List.of("command", "ports", DependsOn.KEY)) {
                if (defaults.has(noDefault)) {
                    defaults.fail(noDefault, "cannot have a default: every service sets its own");
                }
            }
        }
        Map<String, ServiceSettings> services = new LinkedHashMap<>();
        Map<String, ServiceReader.PortsAt> portsByService = new LinkedHashMap<>();
        Map<String, DependsOn.Declared> dependsOn = new LinkedHashMap<>();
        ConfigValue servicesValue = pool.value("services");
        if (servicesValue.valueType() != ConfigValueType.OBJECT) {
            pool.fail("services", servicesValue, "must be an object { NAME { command = ..., ports = [...] } }");
        } else if (defaults != null) {
            int before = errors.size();
            for (Map.Entry<String, ConfigValue> e : inFileOrder((ConfigObject) servicesValue)) {
                ServiceReader.readService(e.getKey(), e.getValue(), defaults.config(), source, baseDir, errors, portsByService,
                        dependsOn, cluster.enabled()).ifPresent(s -> services.put(s.name(), s));
            }
            foldDefaultsErrors(errors, before, defaults.config(), (ConfigObject) servicesValue, key + ".defaults.");
        }
        checkPorts(portsByService, admin, gateway, source, pool, errors, key);
        checkCluster(cluster, portsByService, admin, gateway, dieWithManager, services, pool, key);
        ServiceReader.checkRoutes(services.values(), source, errors);
        DependsOn.check(dependsOn, services, source, errors);
        if (Files.exists(stateDir) && !Files.isDirectory(stateDir)) {
            pool.fail("state-dir", stateDir + " exists and is not a directory");
        }
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(config.hasPath(MANIFEST_MARK) ? errors.stream().map(PoolConfigLoader::inManifestNames).toList()
                    : errors);
        }
        return new PoolSettings(source, admin, stateDir, services, watchConfig, dieWithManager, gateway, feeds,
                startupTimeout, key, cluster);
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

    /**
     * The services' errors from {@code from} on that are about a value they took from the pool's
     * {@code defaults} (written there, or set for it by the environment), said once as an error
     * of the defaults' key rather than once per service: a bad default under fifty services is
     * one mistake. The services it concerns are named when they are not all of them; an error the
     * defaults' own check already said (an unknown key) is not said again.
     */
    private static void foldDefaultsErrors(List<ConfigError> errors, int from, Config defaults, ConfigObject services,
                                           String prefix) {
        record Folded(String key, String message) {
        }
        // The first service's error of each kind keeps its place (the defaults' line, or the
        // variable that set the default), as FieldReader wrote it.
        Map<Folded, ConfigError> first = new LinkedHashMap<>();
        Map<Folded, List<String>> names = new java.util.HashMap<>();
        java.util.Iterator<ConfigError> it = errors.subList(from, errors.size()).iterator();
        while (it.hasNext()) {
            ConfigError e = it.next();
            ConfigValue own = e.service() == null ? null : services.get(e.service());
            boolean taken = e.key() != null && own instanceof ConfigObject o && !hasPath(o.toConfig(), e.key())
                    && hasPath(defaults, e.key()) && defaults.getValue(e.key()).origin().resource() == null;
            if (!taken) {
                // The service's own value, or procpool's default (reference.conf): the service's error.
                continue;
            }
            Folded f = new Folded(prefix + e.key(), e.message());
            first.putIfAbsent(f, e);
            names.computeIfAbsent(f, x -> new ArrayList<>()).add(e.service());
            it.remove();
        }
        Set<Folded> said = new java.util.HashSet<>();
        errors.forEach(e -> said.add(new Folded(e.key(), e.message())));
        first.forEach((f, e) -> {
            if (!said.contains(f)) {
                String whose = names.get(f).size() == services.size() ? "every service" : String.join(", ", names.get(f));
                errors.add(new ConfigError(e.file(), e.line(), null, f.key(), f.message() + " (the default of " + whose + ")"));
            }
        });
    }

    private static boolean hasPath(Config c, String path) {
        try {
            return c.hasPath(path);
        } catch (com.typesafe.config.ConfigException.BadPath e) {
            return false;
        }
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

    private static AdminSettings readAdmin(FieldReader admin, String key, Path baseDir) {
        if (admin == null) {
            return new AdminSettings(false, "127.0.0.1", 0, Optional.empty());
        }
        admin.rejectUnknownKeys(ADMIN_KEYS);
        boolean enabled = admin.bool("enabled");
        String host = admin.string("host").trim();
        int port = admin.integer("port", 0, 65535);
        String token = admin.string("token");
        String tokenFile = admin.string("token-file").trim();
        if (host.isEmpty()) {
            admin.fail("host", "must not be empty; use \"127.0.0.1\" for loopback");
        }
        if (!token.isBlank() && !tokenFile.isEmpty()) {
            admin.fail("token-file", "is set and so is token: give the admin token one way (token-file keeps it out of the "
                    + "file and out of ps)");
        } else if (!tokenFile.isEmpty()) {
            Path file = baseDir.resolve(tokenFile).normalize();
            try {
                token = TokenFile.read(file);
            } catch (TokenFile.Refused e) {
                admin.fail("token-file", e.getMessage());
            }
        }
        Optional<String> tokenOpt = token.isBlank() ? Optional.empty() : Optional.of(token);
        if (enabled && tokenOpt.isEmpty() && !isLoopback(host) && !admin.failed("token-file")) {
            admin.fail("host", "binds the admin API to a non-loopback address (" + host
                    + ") without a token; set " + key + ".admin.token-file (or token) or bind to 127.0.0.1");
        }
        return new AdminSettings(enabled, host, port, tokenOpt);
    }

    private static GatewaySettings readGateway(FieldReader g) {
        if (g == null) {
            return GatewaySettings.DISABLED;
        }
        g.rejectUnknownKeys(GATEWAY_KEYS);
        boolean enabled = g.bool("enabled");
        String host = g.string("host").trim();
        int port = g.integer("port", 0, 65535);
        String balanceName = g.string("balance").trim();
        GatewaySettings.Balance balance = GatewaySettings.Balance.named(balanceName);
        if (balance == null) {
            g.fail("balance", "must be p2c, round-robin or least-requests, got \"" + balanceName + "\"");
            balance = GatewaySettings.Balance.P2C;
        }
        var queueTimeout = g.duration("queue-timeout", true, "no waiting: 503 at once");
        int maxQueued = g.integer("max-queued", 0, 1_000_000);
        if (host.isEmpty()) {
            g.fail("host", "must not be empty; use \"127.0.0.1\" for loopback or \"0.0.0.0\" for every address");
        }
        return new GatewaySettings(enabled, host, port, balance, queueTimeout, maxQueued);
    }

    private static ClusterSettings readCluster(FieldReader c, Path baseDir) {
        if (c == null) {
            return ClusterSettings.DISABLED;
        }
        c.rejectUnknownKeys(CLUSTER_KEYS);
        boolean enabled = c.bool("enabled");
        ClusterSettings.HostPort bind = hostPort(c, "bind", c.string("bind").trim(), false);
        List<ClusterSettings.HostPort> seeds = new ArrayList<>();
        List<String> roles = new ArrayList<>();
        ConfigValue seedValue = c.value("seed-nodes");
        if (seedValue.valueType() != ConfigValueType.LIST) {
            c.fail("seed-nodes", seedValue, "must be a list of \"host:port\", the same on every node");
        } else {
            for (ConfigValue v : (com.typesafe.config.ConfigList) seedValue) {
                String text = String.valueOf(v.unwrapped()).trim();
                ClusterSettings.HostPort seed = hostPort(c, "seed-nodes", text, true);
                if (seed != null && seeds.contains(seed)) {
                    c.fail("seed-nodes", v, "names " + seed + " twice");
                } else if (seed != null) {
                    seeds.add(seed);
                }
            }
        }
        ConfigValue roleValue = c.value("roles");
        if (roleValue.valueType() != ConfigValueType.LIST) {
            c.fail("roles", roleValue, "must be a list of names, such as [\"web\", \"gpu\"]");
        } else {
            for (ConfigValue v : (com.typesafe.config.ConfigList) roleValue) {
                String role = String.valueOf(v.unwrapped()).trim();
                if (!role.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*") || role.startsWith("dc-")) {
                    c.fail("roles", v, "'" + role + "' is not a role name: letters, digits, '_', '-' and '.', not starting with "
                            + "'dc-' (Pekko's data-center roles)");
                } else {
                    roles.add(role);
                }
            }
        }
        String advertise = c.string("advertise-host").trim();
        String onDownedName = c.string("on-downed").trim();
        ClusterSettings.OnDowned onDowned = switch (onDownedName) {
            case "rejoin" -> ClusterSettings.OnDowned.REJOIN;
            case "exit" -> ClusterSettings.OnDowned.EXIT;
            default -> {
                c.fail("on-downed", "must be rejoin or exit, got \"" + onDownedName + "\"");
                yield ClusterSettings.OnDowned.REJOIN;
            }
        };
        if (bind == null) {
            return ClusterSettings.DISABLED;
        }
        boolean wildcard = bind.host().equals("0.0.0.0") || bind.host().equals("::") || bind.host().equals("[::]");
        if (enabled && advertise.isEmpty() && wildcard) {
            c.fail("advertise-host", "must be set when bind listens on every address (" + bind.host()
                    + "): the other nodes need an address to reach this one at");
        }
        if (enabled && seeds.isEmpty() && seedValue.valueType() == ConfigValueType.LIST) {
            c.fail("seed-nodes", seedValue, "must name at least one node (\"host:port\"), the same list on every node; "
                    + "the first one starts the cluster");
        }
        Optional<ClusterSettings.Tls> tls = readTls(c.child("tls"), baseDir, enabled);
        return new ClusterSettings(enabled, bind.host(), bind.port(), seeds, roles, advertise.isEmpty() ? bind.host() : advertise,
                onDowned, tls);
    }

    /**
     * {@code cluster.tls}: the stores are opened here, with the password, so that a wrong path or
     * password is an error that names the key at load, not a cluster that never forms.
     */
    private static Optional<ClusterSettings.Tls> readTls(FieldReader t, Path baseDir, boolean clustered) {
        if (t == null) {
            return Optional.empty();
        }
        t.rejectUnknownKeys(TLS_KEYS);
        if (!t.bool("enabled")) {
            return Optional.empty();
        }
        String passwordFile = t.string("password-file").trim();
        String password = null;
        if (passwordFile.isEmpty()) {
            t.fail("password-file", "must name the file that holds the key store's password (it stays out of the pool file and "
                    + "out of ps)");
        } else {
            try {
                password = TokenFile.read(baseDir.resolve(passwordFile).normalize());
            } catch (TokenFile.Refused e) {
                t.fail("password-file", e.getMessage());
            }
        }
        Path keyStore = store(t, "key-store", t.string("key-store").trim(), baseDir, password);
        String trust = t.string("trust-store").trim();
        Path trustStore = trust.isEmpty() ? keyStore : store(t, "trust-store", trust, baseDir, password);
        if (!clustered || password == null || keyStore == null || trustStore == null) {
            return Optional.empty();
        }
        return Optional.of(new ClusterSettings.Tls(keyStore, password, trustStore));
    }

    /** A key or trust store that opens with {@code password}, or null (and an error naming {@code key}). */
    private static Path store(FieldReader t, String key, String value, Path baseDir, String password) {
        if (value.isEmpty()) {
            t.fail(key, "must name a PKCS12 or JKS file (docs/cluster.md, \"TLS\", shows how to make one with keytool)");
            return null;
        }
        Path file = baseDir.resolve(value).normalize();
        if (!Files.isRegularFile(file)) {
            t.fail(key, file + (Files.exists(file) ? " is not a regular file" : " does not exist"));
            return null;
        }
        if (password != null) {
            try {
                java.security.KeyStore.getInstance(file.toFile(), password.toCharArray());
            } catch (java.io.IOException | java.security.GeneralSecurityException e) {
                t.fail(key, file + " does not open with the password in password-file: " + e.getMessage());
                return null;
            }
        }
        return file;
    }

    /** {@code host:port} with a fixed port, or null (and an error naming {@code key}). */
    private static ClusterSettings.HostPort hostPort(FieldReader c, String key, String text, boolean inList) {
        int colon = text.lastIndexOf(':');
        String what = inList ? "each seed node" : "bind";
        if (colon <= 0 || colon == text.length() - 1) {
            c.fail(key, "(" + text + "): " + what + " must be \"host:port\", such as \"127.0.0.1:25520\"");
            return null;
        }
        String host = text.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            c.fail(key, "(" + text + "): the port must be a number from 1 to 65535 (a fixed port: the seed nodes name it)");
            return null;
        }
        return new ClusterSettings.HostPort(host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host,
                port);
    }

    /** What a cluster node needs beyond the cluster block itself. */
    private static void checkCluster(ClusterSettings cluster, Map<String, ServiceReader.PortsAt> portsByService, AdminSettings admin,
                                     GatewaySettings gateway, boolean dieWithManager, Map<String, ServiceSettings> services,
                                     FieldReader pool, String key) {
        if (!cluster.enabled()) {
            return;
        }
        int port = cluster.bindPort();
        portsByService.forEach((name, at) -> {
            if (at.ports().contains(port)) {
                pool.fail("cluster.bind", "(" + port + ") is also a port of service '" + name + "'; the cluster needs a port of its own");
            }
        });
        if (admin.enabled() && admin.port() == port) {
            pool.fail("cluster.bind", "(" + port + ") is also " + key + ".admin.port; the cluster needs a port of its own");
        }
        if (gateway.enabled() && gateway.port() == port) {
            pool.fail("cluster.bind", "(" + port + ") is also " + key + ".gateway.port; the cluster needs a port of its own");
        }
        if (!dieWithManager) {
            pool.fail("children-die-with-manager", "must be true on a cluster node: the instances of a node that dies are "
                    + "started on the others, and its own must not keep serving beside them");
        }
        for (ServiceSettings s : services.values()) {
            if (s.enabled() && s.scaling().enabled() && s.scaling().metric() == ScalingSettings.Metric.IN_FLIGHT) {
                pool.fail("cluster.enabled", "is on, and service '" + s.name() + "' autoscales on in-flight requests: each node's "
                        + "gateway counts only its own requests to its own instances, so the cluster cannot average them; "
                        + "scale a clustered service on cpu or latency");
            }
        }
    }

    private static List<FeedSettings> readFeeds(FieldReader feeds, Path baseDir) {
        List<FeedSettings> out = new ArrayList<>();
        if (feeds == null) {
            return out;
        }
        feeds.rejectUnknownKeys(Set.copyOf(FeedSettings.NAMES));
        for (String name : FeedSettings.NAMES) {
            FieldReader f = feeds.child(name);
            if (f == null) {
                continue;
            }
            f.rejectUnknownKeys(FEED_KEYS);
            String file = f.string("file").trim();
            String reload = f.string("reload-command").trim();
            int keepalive = f.integer("keepalive", 0, 100_000);
            if (file.isEmpty()) {
                if (!reload.isEmpty()) {
                    f.fail("reload-command", "is set but file is not: say where the " + name + " feed is written");
                }
                continue;
            }
            List<String> words = List.of();
            if (!reload.isEmpty()) {
                try {
                    words = CommandLine.split(reload);
                } catch (CommandLine.SyntaxException e) {
                    f.fail("reload-command", e.getMessage());
                }
            }
            out.add(new FeedSettings(name, baseDir.resolve(file).normalize(), words, keepalive));
        }
        return out;
    }

    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.equals("::1") || host.equals("[::1]") || host.startsWith("127.");
    }

    private static void checkPorts(Map<String, ServiceReader.PortsAt> portsByService, AdminSettings admin,
                                   GatewaySettings gateway, String source, FieldReader pool, List<ConfigError> errors, String key) {
        Map<Integer, String> owner = new HashMap<>();
        for (Map.Entry<String, ServiceReader.PortsAt> s : portsByService.entrySet()) {
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
        if (gateway.enabled() && gateway.port() != 0 && owner.containsKey(gateway.port())) {
            pool.fail("gateway.port", "(" + gateway.port() + ") is also a port of service '" + owner.get(gateway.port())
                    + "'; the gateway needs a port of its own");
        }
        if (gateway.enabled() && admin.enabled() && gateway.port() != 0 && gateway.port() == admin.port()) {
            pool.fail("gateway.port", "(" + gateway.port() + ") is also " + key + ".admin.port; the gateway needs a port of its own");
        }
    }

    /**
     * The manifest of the Python pool manager: {@code {"pools": {NAME: {"min_processes": 1, ...}}}}.
     * Keys are moved under {@code procpool.services} with snake_case turned into procpool's kebab-case;
     * the values keep their origins, so errors still name the manifest's lines.
     */
    private static Config translateManifest(Config parsed, String source, List<ConfigError> errors) {
        if (!parsed.hasPath("pools")) {
            return parsed;
        }
        if (parsed.hasPath(PoolSection.KEY) || parsed.hasPath(PoolSection.OLD_KEY)) {
            String own = parsed.hasPath(PoolSection.KEY) ? PoolSection.KEY : PoolSection.OLD_KEY;
            errors.add(new ConfigError(source, parsed.root().get("pools").origin().lineNumber(), null, "pools",
                    "a file holds either '" + own + "' (procpool's shape) or 'pools' (the manifest shape), not both"));
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
            String base = ConfigUtil.joinPath(PoolSection.KEY, "services", svc.getKey());
            if (svc.getValue().valueType() != ConfigValueType.OBJECT) {
                out = out.withValue(base, svc.getValue());
                continue;
            }
            out = out.withValue(base, ConfigFactory.empty().root().withOrigin(svc.getValue().origin()));
            for (Map.Entry<String, ConfigValue> field : ((ConfigObject) svc.getValue()).entrySet()) {
                String key = field.getKey().replace('_', '-');
                out = out.withValue(ConfigUtil.joinPath(PoolSection.KEY, "services", svc.getKey(), key), field.getValue());
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
