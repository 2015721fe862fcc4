package io.procpool.config;

import java.util.Locale;
import java.util.Optional;

/** The POSIX signals procpool sends, with their Linux numbers. */
public enum Signal {
    HUP(1), INT(2), QUIT(3), KILL(9), TERM(15), CONT(18);

    private final int number;

    Signal(int number) {
        this.number = number;
    }

    /** The signal number on Linux. */
    public int number() {
        return number;
    }

    /** Parses {@code TERM}, {@code SIGTERM} or {@code term}; empty for anything else. */
    public static Optional<Signal> parse(String text) {
        String name = text.trim().toUpperCase(Locale.ROOT);
        if (name.startsWith("SIG")) {
            name = name.substring(3);
        }
        for (Signal s : values()) {
            if (s.name().equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** The name of signal number {@code n} if procpool knows it, else the number. */
    public static String describe(int n) {
        for (Signal s : values()) {
            if (s.number == n) {
                return "SIG" + s.name();
            }
        }
        return switch (n) {
            case 4 -> "SIGILL";
            case 6 -> "SIGABRT";
            case 7 -> "SIGBUS";
            case 8 -> "SIGFPE";
            case 11 -> "SIGSEGV";
            case 13 -> "SIGPIPE";
            case 14 -> "SIGALRM";
            case 10 -> "SIGUSR1";
            case 12 -> "SIGUSR2";
            default -> "signal " + n;
        };
    }
}
