package io.procpool.cli;

/**
 * SIGINT and SIGTERM handled by procpool instead of the JVM, so that a clean stop exits 0 (the
 * JVM's own handling runs the shutdown hooks and exits 130 or 143).
 */
final class Signals {

    private Signals() {
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
