package io.procpool.internal;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The threads procpool makes outside Pekko's dispatchers: daemons, named for thread dumps and profiles. */
public final class Threads {

    private static final ThreadLocal<Boolean> OUTLIVES_ITS_CHILDREN = new ThreadLocal<>();

    private Threads() {
    }

    /**
     * Marks the calling thread as one that ends only after every child process started from it
     * has ended (the instances' thread, {@link InstanceThreadExecutor}): a child with a
     * parent-death signal may be started there, since the kernel sends it when that thread ends.
     */
    public static void markOutlivesItsChildren() {
        OUTLIVES_ITS_CHILDREN.set(Boolean.TRUE);
    }

    /** True on a thread {@link #markOutlivesItsChildren() marked} so. */
    public static boolean outlivesItsChildren() {
        return OUTLIVES_ITS_CHILDREN.get() == Boolean.TRUE;
    }

    /** A daemon thread named {@code name}, not started. */
    public static Thread daemon(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * An executor of one daemon thread named {@code name}, made when a task comes and gone after
     * {@code idle} without one: for work that comes in bursts (a start's files, a {@code /proc}
     * pass a poll asked for), so an idle pool keeps no thread for it.
     */
    public static ThreadPoolExecutor onDemand(String name, Duration idle) {
        return new ThreadPoolExecutor(0, 1, idle.toMillis(), TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> daemon(r, name));
    }
}
