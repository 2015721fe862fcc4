package io.procpool.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.Map;
import java.util.Set;

/**
 * Where a configuration's pool section is: under {@code procpool}, or under {@code pool}, its
 * older name, which keeps working. procpool's own defaults ({@code reference.conf}) are always under
 * {@code procpool}, and so are {@code -Dprocpool.X} overrides (Typesafe Config lays the system
 * properties over every {@code reference.conf}); so the section is {@code procpool} when anything
 * under it was set by the application or a file, else {@code pool} when there is one. The
 * {@code -D} overrides apply to the section whichever name it has: with a {@code pool} file,
 * {@code -Dprocpool.admin.port=9901} once made procpool read the empty {@code procpool} section,
 * and run none of the file's services. A pool file with both is refused
 * before this ({@link PoolConfigLoader#parseFile}); an application's own configuration may have a
 * {@code pool} of its own beside {@code procpool}, which is then left alone.
 */
final class PoolSection {

    static final String KEY = "procpool";
    static final String OLD_KEY = "pool";
    /** How Typesafe Config names values that came from {@code -D}. */
    private static final String SYSTEM_PROPERTIES = "system properties";

    private PoolSection() {
    }

    /** The top key the pool section of {@code config} (with procpool's defaults behind it) is under. */
    static String keyOf(Config config) {
        if (config.hasPath(KEY) && config.getValue(KEY).valueType() == ConfigValueType.OBJECT && setByApplication(config.getConfig(KEY))) {
            return KEY;
        }
        return config.hasPathOrNull(OLD_KEY) ? OLD_KEY : KEY;
    }

    /** True when a value under {@code section} is neither a {@code reference.conf} default nor a {@code -D} override. */
    static boolean setByApplication(Config section) {
        for (Map.Entry<String, ConfigValue> e : section.entrySet()) {
            if (!fromReference(e.getValue().origin()) && !fromSystemProperties(e.getValue())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The {@code -D} overrides under {@code procpool} in {@code config}, as the section under the
     * older name {@code pool} ({@code section}) takes them: over what the application wrote, not
     * over what the environment set there ({@link PoolConfigLoader#parseFile} lays the
     * environment over {@code -D}); the dispatchers are not a key of that section and stay where
     * they are.
     */
    static Config systemPropertiesForOldKey(Config config, Config section) {
        Config out = ConfigFactory.empty();
        if (!config.hasPath(KEY) || config.getValue(KEY).valueType() != ConfigValueType.OBJECT) {
            return out;
        }
        for (Map.Entry<String, ConfigValue> e : config.getConfig(KEY).entrySet()) {
            if (fromSystemProperties(e.getValue()) && !e.getKey().startsWith("dispatchers.")
                    && !(section.hasPath(e.getKey()) && EnvironmentOverrides.isEnvironment(section.getValue(e.getKey()).origin().description()))) {
                out = out.withValue(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** True for a value from a library's {@code reference.conf} (procpool's, or another merged with it in a jar). */
    static boolean fromReference(ConfigOrigin origin) {
        if (origin.resource() != null) {
            return origin.resource().endsWith("reference.conf");
        }
        return origin.description() != null && origin.description().contains("reference.conf");
    }

    /**
     * {@code config} without the {@code -Dprocpool.X} system properties that are flags of the JVM
     * rather than pool keys ({@code -Dprocpool.launcher=process-builder}, a test's
     * {@code -Dprocpool.jar}): {@code ConfigFactory.load()} puts them under the section too.
     */
    static Config withoutJvmFlags(Config config, Set<String> poolKeys) {
        Config out = config;
        for (String key : new String[] {KEY, OLD_KEY}) {
            if (!config.hasPath(key) || config.getValue(key).valueType() != ConfigValueType.OBJECT) {
                continue;
            }
            for (Map.Entry<String, ConfigValue> e : config.getObject(key).entrySet()) {
                if (!poolKeys.contains(e.getKey()) && fromSystemProperties(e.getValue())) {
                    out = out.withoutPath(ConfigUtil.joinPath(key, e.getKey()));
                }
            }
        }
        return out;
    }

    private static boolean fromSystemProperties(ConfigValue value) {
        String description = value.origin().description();
        return description != null && description.startsWith(SYSTEM_PROPERTIES);
    }
}
