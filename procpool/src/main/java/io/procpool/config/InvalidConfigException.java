package io.procpool.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration that cannot run, with every problem found (not just the first). */
public final class InvalidConfigException extends Exception {

    private final transient List<ConfigError> errors;

    public InvalidConfigException(List<ConfigError> errors) {
        super(errors.stream().map(ConfigError::render).collect(Collectors.joining("\n")));
        this.errors = List.copyOf(errors);
    }

    /** The problems, in the order they were found. */
    public List<ConfigError> errors() {
        return errors;
    }
}
