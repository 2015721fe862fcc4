package io.procpool.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * How procpool's own log is written: {@code text} (a line per event, for people) or {@code json}
 * (a JSON object per line, for log shippers). Chosen before any logger exists, so before picocli
 * has parsed the command line: by {@code procpool run --log-format json}, else
 * {@code -Dprocpool.log-format=json}, else {@code PROCPOOL_LOG_FORMAT=json}; text by default.
 * An explicit {@code -Dlogback.configurationFile} wins over all of them.
 */
enum LogFormat {
    /** Set up in code ({@link TextLogging}); conf/logback.example.xml is the same in XML. */
    TEXT(null),
    JSON("io/procpool/logback-json.xml");

    static final String OPTION = "--log-format";
    static final String PROPERTY = "procpool.log-format";
    static final String VARIABLE = "PROCPOOL_LOG_FORMAT";

    /** The packaged logback configuration of the format; null for the one set up in code. */
    final String resource;

    LogFormat(String resource) {
        this.resource = resource;
    }

    /** A wrong value, with where it came from, for the person who set it. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String where, String value) {
            super(where + ": must be text or json, got \"" + value + "\"");
        }
    }

    /**
     * The format asked for, if any.
     *
     * @param args the command line (only {@code --log-format} after {@code run} is looked at;
     *     picocli reports a wrong value there itself)
     * @throws Invalid when the system property or the environment variable has a wrong value
     */
    static Optional<LogFormat> chosen(List<String> args, Function<String, String> properties, Map<String, String> env) throws Invalid {
        int run = args.indexOf("run");
        if (run >= 0) {
            for (int i = run + 1; i < args.size(); i++) {
                String a = args.get(i);
                if (a.equals("--")) {
                    break;
                }
                String value = a.startsWith(OPTION + "=") ? a.substring(OPTION.length() + 1)
                        : a.equals(OPTION) && i + 1 < args.size() ? args.get(i + 1) : null;
                if (value != null) {
                    return named(value);
                }
            }
        }
        String property = properties.apply(PROPERTY);
        if (property != null && !property.isEmpty()) {
            return Optional.of(named(property).orElseThrow(() -> new Invalid("-D" + PROPERTY, property)));
        }
        String variable = env.get(VARIABLE);
        if (variable != null && !variable.isEmpty()) {
            return Optional.of(named(variable).orElseThrow(() -> new Invalid("environment variable " + VARIABLE, variable)));
        }
        return Optional.empty();
    }

    private static Optional<LogFormat> named(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "text" -> Optional.of(TEXT);
            case "json" -> Optional.of(JSON);
            default -> Optional.empty();
        };
    }
}
