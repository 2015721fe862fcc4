package io.procpool.cli;

/**
 * SIGINT and SIGTERM handled by procpool instead of the JVM, so that a clean stop exits 0 (the
 * JVM's own handling runs the shutdown hooks and exits 130 or 143).
 */
final class Signals {

    private Signals() {
    }

    /** SIGHUP's number on Linux. */
    static final int SIGHUP = 1;

    /**
     * True when this process was started with {@code signal} ignored (under {@code nohup}, or
     * from a script that ran {@code trap "" HUP}). The JVM does not take over a signal its
     * parent ignored, so a handler registered for it is silently never called: procpool says so
     * at start instead. Read from {@code /proc/self/status}; false where that cannot be read.
     */
    static boolean ignoredAtStart(int signal) {
        try {
            return ignored(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/status")), signal);
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether the {@code SigIgn} mask of a {@code /proc/PID/status} text has {@code signal} set. */
    static boolean ignored(String procStatus, int signal) {
        for (String line : procStatus.split("\n")) {
            if (line.startsWith("SigIgn:")) {
                long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                return (mask >>> (signal - 1) & 1) == 1;
            }
        }
        return false;
    }

    /** Calls {@code handler} (on a JVM signal thread) for every SIGHUP from now on. */
    @SuppressWarnings("removal")
    static void onHangup(Runnable handler) {
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> handler.run());
    }

    /** Calls {@code handler} (on a JVM signal thread) for every SIGINT and SIGTERM from now on. */
    @SuppressWarnings("removal")
    static void onTermination(Runnable handler) {
        for (String name : new String[] {"INT", "TERM"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> handler.run());
        }
    }
}
