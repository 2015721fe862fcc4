package io.procpool.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment's part of a pool's configuration, over the file (and over {@code -D}): procpool's
 * own variables for what a deployment sets most ({@code PROCPOOL_ADMIN_TOKEN}, ...), and Typesafe
 * Config's {@code CONFIG_FORCE_<path>} for any key ({@code CONFIG_FORCE_procpool_admin_port}: one
 * {@code _} is a {@code .}, two are a {@code -}, three are a {@code _}).
 *
 * <p>Every value keeps the name of its variable as its origin, so that a bad value gets an error
 * that names the variable rather than the file. The environment is a parameter: tests hand in a
 * map, the command line {@code System.getenv()}. An empty variable counts as unset (a container
 * template that writes {@code PROCPOOL_ADMIN_TOKEN=} does not clear a token the file gives).
 *
 * <p>Values are strings, as Typesafe's own environment overrides are: {@code "9901"} is read as
 * a number where a number is expected; a list cannot be given this way.
 */
public final class EnvironmentOverrides {

    /** Typesafe Config's prefix for "this variable sets that key". */
    public static final String FORCE_PREFIX = "CONFIG_FORCE_";
    /** Where an error about a value from the environment says it came from: this, then the variable's name. */
    static final String ORIGIN = "environment variable ";

    /** procpool's own variables and the key under the pool section each one sets. */
    public static final Map<String, String> VARIABLES = variables();

    private EnvironmentOverrides() {
    }

    /**
     * True for a variable that configures procpool itself ({@code PROCPOOL_...}, {@code
     * CONFIG_FORCE_...}): such a variable may carry the admin token, so procpool never passes it on
     * to what it starts (services, exec probes, feed reload commands). A service that needs one
     * sets it in its own {@code env}.
     */
    public static boolean isProcpoolsOwn(String variable) {
        return variable.startsWith("PROCPOOL_") || variable.startsWith(FORCE_PREFIX);
    }

    private static Map<String, String> variables() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("PROCPOOL_ADMIN_TOKEN", "admin.token");
        v.put("PROCPOOL_ADMIN_TOKEN_FILE", "admin.token-file");
        v.put("PROCPOOL_ADMIN_HOST", "admin.host");
        v.put("PROCPOOL_ADMIN_PORT", "admin.port");
        v.put("PROCPOOL_STATE_DIR", "state-dir");
        return java.util.Collections.unmodifiableMap(v);
    }

    /**
     * The overrides {@code env} makes, for a pool section written under {@code key} ({@code procpool},
     * or {@code pool}, its older name: {@code CONFIG_FORCE_procpool_...} and {@code CONFIG_FORCE_pool_...}
     * both land there). {@code CONFIG_FORCE_pekko_...} tunes procpool's actor system; a
     * {@code CONFIG_FORCE_} variable for any other key is not procpool's and is left alone.
     *
     * @throws InvalidConfigException when a variable cannot be mapped to a key, or two variables
     *     give the token in two ways; each error names the variable
     */
    public static Config of(Map<String, String> env, String key) throws InvalidConfigException {
        List<ConfigError> errors = new ArrayList<>();
        Config out = ConfigFactory.empty();
        // Sorted: the same environment always gives the same configuration.
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            if (!e.getKey().startsWith(FORCE_PREFIX) || e.getValue().isEmpty()) {
                continue;
            }
            String path;
            try {
                path = pathOf(e.getKey());
            } catch (IllegalArgumentException bad) {
                errors.add(new ConfigError(ORIGIN + e.getKey(), -1, null, null, bad.getMessage()));
                continue;
            }
            List<String> segments = new ArrayList<>(Arrays.asList(path.split("\\.", -1)));
            if (segments.contains("")) {
                errors.add(new ConfigError(ORIGIN + e.getKey(), -1, null, null, "maps to '" + path
                        + "', which has an empty part: one _ is a '.', two are a '-', three are a '_'"));
                continue;
            }
            if (segments.get(0).equals("procpool") || segments.get(0).equals("pool")) {
                segments.set(0, key);
            } else if (!segments.get(0).equals("pekko")) {
                continue;
            }
            out = out.withValue(ConfigUtil.joinPath(segments), ConfigValueFactory.fromAnyRef(e.getValue(), ORIGIN + e.getKey()));
        }
        String token = nonEmpty(env, "PROCPOOL_ADMIN_TOKEN");
        String tokenFile = nonEmpty(env, "PROCPOOL_ADMIN_TOKEN_FILE");
        if (token != null && tokenFile != null) {
            errors.add(new ConfigError(ORIGIN + "PROCPOOL_ADMIN_TOKEN", -1, null, null,
                    "is set, and so is PROCPOOL_ADMIN_TOKEN_FILE; give the admin token one way, not both"));
        }
        Config own = ConfigFactory.empty();
        for (Map.Entry<String, String> v : VARIABLES.entrySet()) {
            String value = nonEmpty(env, v.getKey());
            if (value != null) {
                own = own.withValue(key + "." + v.getValue(), ConfigValueFactory.fromAnyRef(value, ORIGIN + v.getKey()));
            }
        }
        // The environment's token replaces the file's, however the file gives it.
        if (token != null) {
            own = own.withValue(key + ".admin.token-file", ConfigValueFactory.fromAnyRef("", ORIGIN + "PROCPOOL_ADMIN_TOKEN"));
        } else if (tokenFile != null) {
            own = own.withValue(key + ".admin.token", ConfigValueFactory.fromAnyRef("", ORIGIN + "PROCPOOL_ADMIN_TOKEN_FILE"));
        }
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(errors);
        }
        // CONFIG_FORCE_ wins over procpool's own names, as its name says.
        return out.withFallback(own);
    }

    /**
     * The key a {@code CONFIG_FORCE_} variable sets, as Typesafe Config maps it: after the prefix,
     * {@code _} is {@code .}, {@code __} is {@code -}, {@code ___} is {@code _}.
     *
     * @throws IllegalArgumentException for four or more underscores in a row
     */
    static String pathOf(String variable) {
        String rest = variable.substring(FORCE_PREFIX.length());
        StringBuilder path = new StringBuilder();
        int underscores = 0;
        for (int i = 0; i <= rest.length(); i++) {
            char c = i < rest.length() ? rest.charAt(i) : 0;
            if (c == '_') {
                underscores++;
                continue;
            }
            if (underscores > 3) {
                throw new IllegalArgumentException("has " + underscores + " underscores in a row, which map to no key: one _ is a '.', "
                        + "two are a '-', three are a '_'");
            }
            if (underscores > 0) {
                path.append(underscores == 1 ? '.' : underscores == 2 ? '-' : '_');
            }
            underscores = 0;
            if (c != 0) {
                path.append(c);
            }
        }
        return path.toString();
    }

    /** True when {@code description} (a value's origin) is a variable of the environment. */
    static boolean isEnvironment(String description) {
        return description != null && description.startsWith(ORIGIN);
    }

    private static String nonEmpty(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isEmpty() ? null : v;
    }
}
