package io.procpool.internal.tuning;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * First-time work of a cold start done early on a second thread, while the main thread parses the
 * command line and the pool file: the parts of the start that depend on nothing the command line
 * says.
 *
 * <p>Why: a cold start is one thread's work from {@code main} to the first spawn, and about 0.25 s
 * of it is first-time setup that needs no input: logback's start (55 ms here), Pekko's {@code
 * reference.conf} files parsed (70 ms), JNA's native library unpacked and bound (45 ms),
 * Jackson's first use on the state file's records (30 ms), and the default TLS context that Pekko
 * HTTP builds even for plain HTTP (60 ms, loading the JDK's trust store). Measured one by one on
 * a JVM started as bin/procpool starts it; docs/architecture.md, "A cold start on two threads".
 *
 * <p>What each part does is the caller's ({@code ProcessPool.prewarm} names the library's);
 * this class only runs them. Each {@link Part} is one task, run once by whichever thread comes
 * first: the main thread calls {@link #before} on entering that part's area, which runs it there
 * if the prewarm thread has not begun it, or waits for it if it has. So the two threads never
 * initialise the same library's classes at the same time (a class initialised on two threads,
 * each waiting for a class the other holds, would deadlock), and nothing is done twice. Without a
 * {@link #start} (an application that embeds procpool and does not ask for it) {@link #before}
 * does nothing. A part that fails here is left for the main thread, which meets the same error
 * where its own handling and messages are.
 */
public final class Prewarm {

    /** The parts, in the order the main thread needs them. */
    public enum Part {
        /** The logging backend's start (logback reads its configuration, makes its appenders): the caller's. */
        LOGGING,
        /** Typesafe Config's merged {@code reference.conf} of every jar (cached per class loader). */
        REFERENCE_CONFIG,
        /** JNA: its native library and the libc bindings the Linux platform opens. */
        NATIVE,
        /** Jackson, set up for the state file's records. */
        STATE_JSON,
        /** The JDK's default TLS context, which Pekko HTTP's first server asks for. */
        TLS
    }

    /** The prewarm the command line started; null in a JVM that started none. */
    private static volatile Prewarm current;

    private final Map<Part, FutureTask<Void>> tasks = new EnumMap<>(Part.class);

    /** {@code work}: what each part does; run in {@link Part}'s order by {@link #runAll}. */
    Prewarm(Map<Part, ThrowingRunnable> work) {
        work.forEach((part, w) -> tasks.put(part, new FutureTask<>(() -> {
            w.run();
            return null;
        })));
    }

    /**
     * Starts {@code work} on a daemon thread of its own, part by part in {@link Part}'s order;
     * later calls do nothing. The logging part, if any, starts the logging backend: SLF4J hands
     * a logger asked for meanwhile on another thread a stand-in that forwards to the real one
     * once it is there (its own rule for a start in progress), so the caller must not log before
     * {@code before(Part.LOGGING)}.
     */
    public static synchronized void start(Map<Part, ThrowingRunnable> work) {
        if (current != null) {
            return;
        }
        Prewarm prewarm = new Prewarm(work);
        current = prewarm;
        io.procpool.internal.Threads.daemon(prewarm::runAll, "procpool-prewarm").start();
    }

    /**
     * Called on entering {@code part}'s area: returns once it is done, having run it here if the
     * prewarm thread had not begun it. Does nothing when no prewarm was started.
     */
    public static void before(Part part) {
        Prewarm prewarm = current;
        if (prewarm != null) {
            prewarm.await(part);
        }
    }

    /** Runs every part not begun yet, in order (the prewarm thread's work). */
    void runAll() {
        tasks.values().forEach(FutureTask::run);
    }

    /** {@link #before} on this prewarm: runs {@code part} here unless begun, then waits for it. */
    void await(Part part) {
        FutureTask<Void> task = tasks.get(part);
        if (task == null) {
            return;
        }
        task.run();
        try {
            task.get();
        } catch (ExecutionException e) {
            // Left to the caller, which does the same work next and reports what fails its own way.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A part's work. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
