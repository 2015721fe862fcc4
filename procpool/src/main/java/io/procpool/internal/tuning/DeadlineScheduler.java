package io.procpool.internal.tuning;

import com.typesafe.config.Config;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractSchedulerBase;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.event.LoggingAdapter;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

/**
 * The scheduler of the actor system procpool creates for itself: one thread that sleeps until
 * the earliest timer is due, instead of Pekko's default, which wakes every
 * {@code tick-duration} (10 ms) whether a timer is due or not.
 *
 * <p>Why: a supervisor spends almost all of its life waiting. With probes off, Pekko's 100
 * wake-ups a second were nearly all of procpool's idle CPU (about 8 ms of CPU a second on the
 * benchmark machine, several times supervisord's); with this scheduler an idle pool wakes only for
 * timers it asked for. Timers also fire when due rather than on the next tick.
 *
 * <p>What it gives up: Pekko's wheel makes scheduling and cancelling O(1); here both are O(log n)
 * in the number of pending timers, which at procpool's scale (a few timers per instance) costs
 * nothing measurable. Pekko's contract for custom schedulers is kept: tasks run on the execution
 * context they were given, {@link Scheduler.TaskRunOnClose} tasks run on {@link #close}, and
 * scheduling after close throws {@link IllegalStateException}.
 *
 * <p>Enabled by {@code pekko.scheduler.implementation} in the system procpool creates; an
 * application that gives procpool its own actor system keeps its own scheduler.
 */
public final class DeadlineScheduler extends AbstractSchedulerBase implements Closeable {

    private final ScheduledThreadPoolExecutor timer;
    private final LoggingAdapter log;
    /** Pending tasks that must run on close (Pekko's dispatcher shutdown uses them). */
    private final Set<OnClose> runOnClose = ConcurrentHashMap.newKeySet();

    /** Pekko creates schedulers reflectively with these arguments. */
    public DeadlineScheduler(Config config, LoggingAdapter log, ThreadFactory threadFactory) {
        this.log = log;
        this.timer = new ScheduledThreadPoolExecutor(1, threadFactory);
        this.timer.setRemoveOnCancelPolicy(true);
        this.timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.timer.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    @Override
    public Cancellable scheduleOnce(FiniteDuration delay, Runnable runnable, ExecutionContext executor) {
        long nanos = delay.toNanos();
        if (nanos <= 0) {
            if (timer.isShutdown()) {
                throw new IllegalStateException("cannot schedule after the scheduler was closed");
            }
            executor.execute(runnable);
            return Done.INSTANCE;
        }
        if (runnable instanceof Scheduler.TaskRunOnClose) {
            OnClose task = new OnClose(runnable);
            runOnClose.add(task);
            task.future = submit(() -> {
                if (runOnClose.remove(task)) {
                    dispatch(runnable, executor);
                }
            }, nanos, 0);
            return task;
        }
        return new Handle(submit(() -> dispatch(runnable, executor), nanos, 0));
    }

    @Override
    @SuppressWarnings("deprecation")
    public Cancellable schedule(FiniteDuration initialDelay, FiniteDuration interval, Runnable runnable,
                                ExecutionContext executor) {
        long period = interval.toNanos();
        if (period <= 0) {
            throw new IllegalArgumentException("the interval of a repeated task must be positive, was " + interval);
        }
        return new Handle(submit(() -> dispatch(runnable, executor), Math.max(0, initialDelay.toNanos()), period));
    }

    private ScheduledFuture<?> submit(Runnable command, long delayNanos, long periodNanos) {
        try {
            return periodNanos > 0
                    ? timer.scheduleAtFixedRate(command, delayNanos, periodNanos, TimeUnit.NANOSECONDS)
                    : timer.schedule(command, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("cannot schedule after the scheduler was closed", e);
        }
    }

    /** Hands a due task to its execution context; the timer thread itself runs nothing else. */
    private void dispatch(Runnable runnable, ExecutionContext executor) {
        try {
            executor.execute(runnable);
        } catch (RuntimeException e) {
            // A dispatcher that is shutting down: the task's owner is gone. Never kill the timer thread.
            log.debug("a timer task could not be dispatched: {}", e.toString());
        }
    }

    @Override
    public double maxFrequency() {
        return 1000.0;
    }

    /** Stops the timer thread; runs the pending {@link Scheduler.TaskRunOnClose} tasks on the caller. */
    @Override
    public void close() {
        timer.shutdownNow();
        List<OnClose> pending = new ArrayList<>(runOnClose);
        runOnClose.clear();
        for (OnClose task : pending) {
            try {
                task.runnable.run();
            } catch (RuntimeException e) {
                log.error(e, "exception while running a timer task on close");
            }
        }
    }

    private static final class Handle implements Cancellable {
        private final ScheduledFuture<?> future;

        Handle(ScheduledFuture<?> future) {
            this.future = future;
        }

        @Override
        public boolean cancel() {
            return future.cancel(false);
        }

        @Override
        public boolean isCancelled() {
            return future.isCancelled();
        }
    }

    private final class OnClose implements Cancellable {
        final Runnable runnable;
        volatile ScheduledFuture<?> future;

        OnClose(Runnable runnable) {
            this.runnable = runnable;
        }

        @Override
        public boolean cancel() {
            boolean removed = runOnClose.remove(this);
            ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
            return removed;
        }

        @Override
        public boolean isCancelled() {
            ScheduledFuture<?> f = future;
            return f != null && f.isCancelled();
        }
    }

    /** What an immediately run task returns: it cannot be cancelled any more. */
    private enum Done implements Cancellable {
        INSTANCE;

        @Override
        public boolean cancel() {
            return false;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }
    }
}
