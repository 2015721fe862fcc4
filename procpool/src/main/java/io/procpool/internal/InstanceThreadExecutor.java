package io.procpool.internal;

import com.typesafe.config.Config;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.apache.pekko.dispatch.MonitorableThreadFactory;

/**
 * The executor of the services' actors and their instances ({@code procpool.dispatchers.instance}):
 * one thread, which never times out and ends only when Pekko shuts the dispatcher down, which it
 * does once no actor is left on it (and so, an instance actor ending its process before it stops,
 * no child an actor on it started is left either).
 *
 * <p>Why not the fork-join executor with one thread that procpool used before: the thread a
 * process was started from is the one whose end the kernel's parent-death signal
 * ({@code children-die-with-manager}) answers, and a fork-join pool's idle worker ends after a
 * minute. Children with that signal were therefore started from a launcher thread of their own,
 * a hop each way on every start: 0.25 to 0.3 s of a cold start of 500 and about 0.2 ms of a
 * crash's restart (docs/benchmarks.md). This thread is marked
 * ({@link Threads#markOutlivesItsChildren}), and the launcher starts them in place on it.
 */
public final class InstanceThreadExecutor extends ExecutorServiceConfigurator {

    public InstanceThreadExecutor(Config config, DispatcherPrerequisites prerequisites) {
        super(config, prerequisites);
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
        // Named as Pekko's own executors name theirs: SYSTEM-procpool.dispatchers.instance-N.
        ThreadFactory named = threadFactory instanceof MonitorableThreadFactory m ? m.withName(m.name() + "-" + id) : threadFactory;
        return () -> new ThreadPoolExecutor(1, 1, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                task -> named.newThread(() -> {
                    Threads.markOutlivesItsChildren();
                    task.run();
                }));
    }
}
