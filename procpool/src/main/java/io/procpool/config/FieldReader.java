package io.procpool.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Typed reads from one object of the configuration (a service, {@code restart}, {@code admin}...)
 * that never stop at the first mistake: each bad value becomes a {@link ConfigError} naming the
 * file, line, service and key, and the read returns a harmless placeholder so that validation can
 * go on and report everything at once.
 */
final class FieldReader {

    private final Config config;
    private final String file;
    private final String service;
    private final String prefix;
    private final List<ConfigError> errors;
    /** The line errors fall back to when the value at fault has none of its own (a missing key): the object's. */
    private final int fallbackLine;
    /** Keys (unprefixed) whose value was refused: checks across keys skip them, so one mistake is one error. */
    private final java.util.Set<String> failed = new java.util.HashSet<>();

    /**
     * @param config the object to read from
     * @param file where the configuration came from, for messages
     * @param service the service the keys belong to, or null
     * @param prefix how keys are named in messages, such as {@code "restart."} (may be empty)
     * @param errors where problems go
     */
    FieldReader(Config config, String file, String service, String prefix, List<ConfigError> errors) {
        this(config, file, service, prefix, errors, -1);
    }

    private FieldReader(Config config, String file, String service, String prefix, List<ConfigError> errors, int fallbackLine) {
        this.config = config;
        this.file = file;
        this.service = service;
        this.prefix = prefix;
        this.errors = errors;
        this.fallbackLine = fallbackLine;
    }

    /** This reader, with errors that have no line of their own put on {@code line} (the object's first line). */
    FieldReader atLine(int line) {
        return new FieldReader(config, file, service, prefix, errors, line);
    }

    /** True when the value of {@code key} was refused (an error was recorded for it). */
    boolean failed(String key) {
        return failed.contains(key);
    }

    /** True when none of {@code keys} was refused: a check across them can be trusted. */
    boolean valid(String... keys) {
        for (String k : keys) {
            for (String f : failed) {
                if (f.equals(k) || f.startsWith(k + "[") || f.startsWith(k + ".")) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A reader for the object at {@code key}, or null (with an error) when it is not an object. */
    FieldReader child(String key) {
        ConfigValue v = config.getValue(key);
        if (v.valueType() != ConfigValueType.OBJECT) {
            fail(key, v, "must be an object { ... }, got " + describe(v));
            return null;
        }
        int line = lineOf(v);
        return new FieldReader(((ConfigObject) v).toConfig(), file, service, prefix + key + ".", errors,
                line > 0 ? line : fallbackLine);
    }

    Config config() {
        return config;
    }

    boolean has(String key) {
        return config.hasPath(key);
    }

    ConfigValue value(String key) {
        return config.getValue(key);
    }

    /** Records an error about {@code key}, with the line where {@code value} was written. */
    void fail(String key, ConfigValue value, String message) {
        failed.add(key);
        // A value from the environment is the variable's fault, not the file's: name the variable.
        if (value != null && EnvironmentOverrides.isEnvironment(value.origin().description())) {
            errors.add(new ConfigError(value.origin().description() + " (over " + file + ")", -1, service, prefix + key, message));
            return;
        }
        int line = lineOf(value);
        errors.add(new ConfigError(file, line > 0 ? line : fallbackLine, service, prefix + key, message));
    }

    /** Records an error about {@code key} as a whole (the value's line if there is one). */
    void fail(String key, String message) {
        ConfigValue v = config.hasPathOrNull(key) ? config.getValue(key) : null;
        fail(key, v, message);
    }

    /** Flags every key of this object that is not in {@code known}, with a suggestion if one is close. */
    void rejectUnknownKeys(Set<String> known) {
        for (String key : config.root().keySet()) {
            if (!known.contains(key)) {
                String hint = Suggest.closest(key, known).map(k -> " (did you mean '" + k + "'?)").orElse("");
                fail(key, config.root().get(key), "unknown key" + hint + "; valid keys here: "
                        + String.join(", ", new java.util.TreeSet<>(known)));
            }
        }
    }

    String string(String key) {
        ConfigValue v = config.getValue(key);
        if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST
                || v.valueType() == ConfigValueType.NULL) {
            fail(key, v, "must be a string, got " + describe(v));
            return "";
        }
        return String.valueOf(v.unwrapped());
    }

    boolean bool(String key) {
        try {
            return config.getBoolean(key);
        } catch (ConfigException e) {
            fail(key, "must be true or false, got " + describe(config.getValue(key)));
            return false;
        }
    }

    /** An integer within {@code [min, max]}. */
    int integer(String key, int min, int max) {
        ConfigValue v = config.getValue(key);
        long n;
        try {
            n = config.getLong(key);
        } catch (ConfigException e) {
            fail(key, v, "must be a whole number, got " + describe(v));
            return min;
        }
        if (v.valueType() == ConfigValueType.NUMBER && !(v.unwrapped() instanceof Integer || v.unwrapped() instanceof Long)) {
            fail(key, v, "must be a whole number, got " + describe(v));
            return min;
        }
        if (n < min || n > max) {
            fail(key, v, "must be between " + min + " and " + max + ", got " + n);
            return min;
        }
        return (int) n;
    }

    /** A number within {@code [min, max]}. */
    double decimal(String key, double min, double max) {
        ConfigValue v = config.getValue(key);
        double d;
        try {
            d = config.getDouble(key);
        } catch (ConfigException e) {
            fail(key, v, "must be a number, got " + describe(v));
            return min;
        }
        if (Double.isNaN(d) || d < min || d > max) {
            fail(key, v, "must be between " + min + " and " + max + ", got " + d);
            return min;
        }
        return d;
    }

    /** A duration such as {@code 500ms}, {@code 10s} or {@code 5m}; zero only when {@code zeroAllowed}. */
    Duration duration(String key, boolean zeroAllowed, String zeroMeaning) {
        ConfigValue v = config.getValue(key);
        Duration d;
        try {
            d = config.getDuration(key);
        } catch (ConfigException e) {
            fail(key, v, "must be a duration such as 500ms, 10s or 5m, got " + describe(v));
            return Duration.ofSeconds(1);
        }
        if (d.isNegative() || (d.isZero() && !zeroAllowed)) {
            fail(key, v, "must be " + (zeroAllowed ? "zero (" + zeroMeaning + ") or positive" : "positive")
                    + ", got " + describe(v));
            return Duration.ofSeconds(1);
        }
        if (d.compareTo(Duration.ofDays(365)) > 0) {
            fail(key, v, "must be at most 365d, got " + describe(v));
            return Duration.ofSeconds(1);
        }
        return d;
    }

    /** A size in bytes such as {@code 10MiB}, within {@code [min, max]}. */
    long bytes(String key, long min, long max) {
        ConfigValue v = config.getValue(key);
        long n;
        try {
            n = config.getBytes(key);
        } catch (ConfigException e) {
            fail(key, v, "must be a size such as 10MiB or 500KiB, got " + describe(v));
            return min;
        }
        if (n < min || n > max) {
            fail(key, v, "must be between " + min + " and " + max + " bytes, got " + describe(v));
            return min;
        }
        return n;
    }

    static String describe(ConfigValue v) {
        if (v == null) {
            return "nothing";
        }
        return switch (v.valueType()) {
            case OBJECT -> "an object";
            case LIST -> "a list";
            case NULL -> "null";
            case STRING -> "\"" + v.unwrapped() + "\"";
            default -> String.valueOf(v.unwrapped());
        };
    }

    private static int lineOf(ConfigValue v) {
        if (v == null) {
            return -1;
        }
        // Defaults from procpool's own reference.conf are not lines of the user's file.
        String desc = v.origin().description();
        if (desc != null && desc.contains("reference.conf")) {
            return -1;
        }
        return v.origin().lineNumber();
    }
}
