package io.procpool.it;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting for something outside the JVM's view (a port that opens, a process that dies): poll
 * with a deadline, and fail with a description of what did not happen.
 */
final class Await {

    private Await() {
    }

    static void until(Duration deadline, String what, BooleanSupplier condition) {
        value(deadline, what, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }

    /** Polls {@code probe} until it returns non-null, and returns that. */
    static <T> T value(Duration deadline, String what, Supplier<T> probe) {
        long end = System.nanoTime() + deadline.toNanos();
        RuntimeException last = null;
        while (true) {
            try {
                T v = probe.get();
                if (v != null) {
                    return v;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            if (System.nanoTime() - end > 0) {
                AssertionError e = new AssertionError("not within " + deadline.toMillis() + " ms: " + what);
                if (last != null) {
                    e.addSuppressed(last);
                }
                throw e;
            }
            LockSupport.parkNanos(Duration.ofMillis(25).toNanos());
        }
    }
}
