package io.procpool.api;

import io.procpool.config.Signal;

import java.util.OptionalInt;

/**
 * How a child process ended, as the JDK reports it: the exit code, where a process killed by
 * signal N shows as {@code 128 + N} (the shell's convention; procpool never puts a shell in
 * between, so a real {@code exit(137)} is the only way to be misread).
 *
 * @param code the status the JDK reports
 */
public record ExitStatus(int code) {

    /** The signal that killed the process, when {@code code} says so. */
    public OptionalInt signal() {
        return code > 128 && code <= 128 + 64 ? OptionalInt.of(code - 128) : OptionalInt.empty();
    }

    /** {@code "exit 1"} or {@code "signal SIGKILL (status 137)"}. */
    public String describe() {
        OptionalInt sig = signal();
        return sig.isPresent() ? "signal " + Signal.describe(sig.getAsInt()) + " (status " + code + ")" : "exit " + code;
    }

    @Override
    public String toString() {
        return describe();
    }
}
