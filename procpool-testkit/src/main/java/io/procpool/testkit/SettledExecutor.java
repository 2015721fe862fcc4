package io.procpool.testkit;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;

/**
 * The executor of a simulation's dispatchers: an ordinary thread pool that also counts the work
 * handed to it, so that {@link VirtualTime} can tell when every actor has processed every message
 * ("settled") before it lets virtual time move on. Every message an actor processes runs as a
 * task here, and a mailbox with more messages queues its next task before the current one ends,
 * so the count is zero only when no actor has anything left to do.
 *
 * <p>Configured by {@link Simulation#config()}; not for production use. The count is per JVM:
 * two simulations in one JVM at the same time wait for each other.
 */
public final class SettledExecutor extends ExecutorServiceConfigurator {

    private static final AtomicInteger PENDING = new AtomicInteger();

    public SettledExecutor(Config config, DispatcherPrerequisites prerequisites) {
        super(config, prerequisites);
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
        return () -> new Counting(Executors.newFixedThreadPool(2, threadFactory));
    }

    /** Waits until no work is queued or running, or fails after {@code limit} of real time. */
    static void awaitSettled(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        int spins = 0;
        while (PENDING.get() > 0) {
            if (++spins < 200) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(20_000);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the simulation did not settle within " + limit.toSeconds()
                        + " s of real time: some actor keeps working (an endless message loop?)");
            }
        }
    }

    private static final class Counting extends AbstractExecutorService {
        private final ExecutorService delegate;

        Counting(ExecutorService delegate) {
            this.delegate = delegate;
        }

        @Override
        public void execute(Runnable task) {
            PENDING.incrementAndGet();
            try {
                delegate.execute(() -> {
                    try {
                        task.run();
                    } finally {
                        PENDING.decrementAndGet();
                    }
                });
            } catch (RuntimeException e) {
                PENDING.decrementAndGet();
                throw e;
            }
        }

        @Override
        public void shutdown() {
            delegate.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return delegate.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return delegate.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return delegate.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return delegate.awaitTermination(timeout, unit);
        }
    }
}
