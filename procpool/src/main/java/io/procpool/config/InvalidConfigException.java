package io.procpool.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration that cannot run, with every problem found (not just the first). */
public final class InvalidConfigException extends Exception {

    private final transient List<ConfigError> errors;

    public InvalidConfigException(List<ConfigError> errors) {
        super(inFileOrder(errors).stream().map(ConfigError::render).collect(Collectors.joining("\n")));
        this.errors = inFileOrder(errors);
    }

    /**
     * In the order of the lines they are on, file by file, as a compiler lists them: the checks
     * run key by key and then across keys, so the order they are found in jumps about the file.
     * Those without a line come first; those of one line keep the order they were found in.
     */
    private static List<ConfigError> inFileOrder(List<ConfigError> errors) {
        return errors.stream().sorted(java.util.Comparator.comparing(ConfigError::file).thenComparingInt(ConfigError::line)).toList();
    }

    /** The problems, in the order of their lines. */
    public List<ConfigError> errors() {
        return errors;
    }
}
