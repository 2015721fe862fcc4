package io.procpool.config;

import java.util.Locale;
import java.util.Optional;

/**
 * The POSIX signals procpool sends, with their Linux numbers: the stop signals, SIGKILL and
 * SIGCONT of a stop, and those an operator may send to a service's instances ({@code poolctl
 * signal}: reopen logs, reload, add or remove workers).
 */
public enum Signal {
    HUP(1), INT(2), QUIT(3), KILL(9), USR1(10), USR2(12), ALRM(14), TERM(15), CONT(18), TTIN(21), TTOU(22), WINCH(28);

    /** The signals a service may be stopped with ({@code stop.signal}). */
    public static final java.util.Set<Signal> STOP_SIGNALS = java.util.EnumSet.of(TERM, INT, QUIT, HUP);

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

    /**
     * Parses a name ({@code HUP}, {@code SIGHUP}, {@code hup}) or a Linux signal number
     * ({@code 1}); empty for anything else, a number procpool has no name for included.
     */
    public static Optional<Signal> parseNameOrNumber(String text) {
        String t = text.trim();
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit) && t.length() < 4) {
            int n = Integer.parseInt(t);
            for (Signal s : values()) {
                if (s.number == n) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
        return parse(t);
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
            default -> "signal " + n;
        };
    }
}
