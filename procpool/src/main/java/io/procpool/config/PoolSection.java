package io.procpool.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.Map;
import java.util.Set;

/**
 * Where a configuration's pool section is: under {@code procpool}, or under {@code pool}, its
 * older name, which keeps working. procpool's own defaults ({@code reference.conf}) are always under
 * {@code procpool}; so the section is {@code procpool} when anything under it was set outside a
 * {@code reference.conf}, else {@code pool} when there is one. A pool file with both is refused
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
        if (config.hasPath(KEY) && config.getValue(KEY).valueType() == ConfigValueType.OBJECT && setOutsideReference(config.getConfig(KEY))) {
            return KEY;
        }
        return config.hasPathOrNull(OLD_KEY) ? OLD_KEY : KEY;
    }

    /** True when a value under {@code section} is not one of the defaults of a {@code reference.conf}. */
    static boolean setOutsideReference(Config section) {
        for (Map.Entry<String, ConfigValue> e : section.entrySet()) {
            if (!fromReference(e.getValue().origin())) {
                return true;
            }
        }
        return false;
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
