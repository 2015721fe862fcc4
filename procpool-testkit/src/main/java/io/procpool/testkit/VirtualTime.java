package io.procpool.testkit;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.ThreadFactory;
import org.apache.pekko.actor.AbstractSchedulerBase;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

/**
 * A Pekko scheduler whose clock moves only when a test says so, and then as fast as the actors
 * can keep up: {@link #advance} runs every timer that falls due, in order, and before each step
 * waits until every actor has processed every message ({@link SettledExecutor}). So the actors'
 * reactions to one timer (a restart, a new probe timer, a backoff) are in place before the next
 * one fires, and ten minutes of supervision take milliseconds, deterministically.
 *
 * <p>Unlike Pekko's {@code ManualTime}, which sleeps 100 ms on every step and does not wait for
 * the actors, large jumps are exact here. Enable it with {@link Simulation#config()}; get it with
 * {@link #get}.
 */
public final class VirtualTime extends AbstractSchedulerBase {

    private static final Duration SETTLE_LIMIT = Duration.ofSeconds(30);

    /** One run of a timer: when it is due, in which order, and what it runs where. */
    private record Task(long due, long seq, Runnable runnable, ExecutionContext ec, long interval, Handle handle) {
    }

    /** What the scheduler's caller holds: cancels the timer, repeating or not. */
    private final class Handle implements Cancellable {
        volatile boolean cancelled;
        /** A one-shot timer that has run can no longer be cancelled. */
        boolean fired;

        @Override
        public boolean cancel() {
            // Lazily: a cancelled run stays queued and is dropped when it comes up. Timers are
            // cancelled far more often than they fire (every probe result cancels its deadline).
            synchronized (VirtualTime.this) {
                if (cancelled || fired) {
                    return false;
                }
                cancelled = true;
                return true;
            }
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due() != b.due()
            ? Long.compare(a.due(), b.due()) : Long.compare(a.seq(), b.seq()));
    private long now;
    private long seq;

    /** Pekko creates schedulers reflectively with these arguments. */
    public VirtualTime(Config config, LoggingAdapter log, ThreadFactory threadFactory) {
    }

    /** The virtual clock of {@code system}, which must run with {@link Simulation#config()}. */
    public static VirtualTime get(ActorSystem<?> system) {
        if (system.classicSystem().scheduler() instanceof VirtualTime v) {
            return v;
        }
        throw new IllegalStateException("the actor system does not run on virtual time; create it with Simulation.config()");
    }

    /** Virtual time since the system started. */
    public synchronized Duration now() {
        return Duration.ofNanos(now);
    }

    /** Virtual nanoseconds since the system started. */
    public synchronized long nanos() {
        return now;
    }

    /**
     * Moves the clock forward by {@code duration}, running every timer that falls due on the way
     * in order, and letting the actors settle after each instant.
     */
    public void advance(Duration duration) {
        long target;
        synchronized (this) {
            target = now + duration.toNanos();
        }
        while (true) {
            SettledExecutor.awaitSettled(SETTLE_LIMIT);
            java.util.List<Task> due = new java.util.ArrayList<>();
            synchronized (this) {
                while (queue.peek() != null && queue.peek().handle().cancelled) {
                    queue.poll();
                }
                Task next = queue.peek();
                if (next == null || next.due() > target) {
                    now = Math.max(now, target);
                    break;
                }
                now = next.due();
                // Everything due at this instant, then settle: the order of timers of one instant
                // is their scheduling order.
                while (queue.peek() != null && queue.peek().due() == now) {
                    Task t = queue.poll();
                    if (t.handle().cancelled) {
                        continue;
                    }
                    if (t.interval() > 0) {
                        queue.add(new Task(t.due() + t.interval(), seq++, t.runnable(), t.ec(), t.interval(), t.handle()));
                    } else {
                        t.handle().fired = true;
                    }
                    due.add(t);
                }
            }
            for (Task t : due) {
                if (!t.handle().cancelled) {
                    t.ec().execute(t.runnable());
                }
            }
        }
        SettledExecutor.awaitSettled(SETTLE_LIMIT);
    }

    /** Lets the actors finish what they are doing, without moving the clock. */
    public void settle() {
        SettledExecutor.awaitSettled(SETTLE_LIMIT);
    }

    @Override
    public Cancellable scheduleOnce(FiniteDuration delay, Runnable runnable, ExecutionContext executor) {
        return add(delay.toNanos(), runnable, executor, 0);
    }

    @Override
    @SuppressWarnings("deprecation")
    public Cancellable schedule(FiniteDuration initialDelay, FiniteDuration interval, Runnable runnable,
                                ExecutionContext executor) {
        return add(initialDelay.toNanos(), runnable, executor, Math.max(1, interval.toNanos()));
    }

    private Cancellable add(long delayNanos, Runnable runnable, ExecutionContext ec, long interval) {
        if (delayNanos <= 0 && interval == 0) {
            ec.execute(runnable);
            return Cancellable.alreadyCancelled();
        }
        synchronized (this) {
            Handle handle = new Handle();
            queue.add(new Task(now + Math.max(0, delayNanos), seq++, runnable, ec, interval, handle));
            return handle;
        }
    }

    @Override
    public double maxFrequency() {
        return 1e9;
    }
}
