package io.procpool.internal.systemd;

import io.procpool.api.OpResult;
import io.procpool.api.Pool;
import io.procpool.api.PoolStatus;
import io.procpool.api.Subscription;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Tells systemd how procpool is doing, for a {@code Type=notify} unit ({@code sd_notify(3)}):
 *
 * <ul>
 *   <li>{@code READY=1} once every enabled service has min-processes instances ready, or once
 *       {@code pool.startup-timeout} has passed, with a status that names what is missing (a slow
 *       service should not fail the whole unit, nor hold up what is ordered after it forever);</li>
 *   <li>{@code STATUS=} with the counts whenever they change ({@code systemctl status} shows it);</li>
 *   <li>{@code RELOADING=1} (with {@code MONOTONIC_USEC}, as {@code Type=notify-reload} wants) when a
 *       reload begins, {@code READY=1} when it has ended;</li>
 *   <li>{@code STOPPING=1} when procpool begins to shut down;</li>
 *   <li>{@code WATCHDOG=1} every half watchdog timeout, when systemd asked for it, and only when the
 *       pool's actors answered a status question since the last tick: a procpool whose actors are
 *       stuck stops pinging, and systemd restarts it.</li>
 * </ul>
 *
 * <p>A client of the pool's front door like any other: it hears the pool's transitions, asks
 * for its status (at most every {@link #COALESCE}, so a start of many instances is a few
 * questions, not one per transition), and decides from {@link PoolStatus#notReady()}, the
 * readiness {@code GET /readyz} answers with.
 */
public final class SystemdNotifier {

    /** Messages the notifier understands. */
    public sealed interface Command {
    }

    /** A reload of the configuration begins. */
    public enum Reloading implements Command {
        INSTANCE
    }

    /** A reload has ended, however it ended. */
    public record Reloaded(OpResult result) implements Command {
    }

    /** procpool begins to shut down. */
    public enum Stopping implements Command {
        INSTANCE
    }

    /** Stop this actor (an embedding application's actor system goes on after the pool). */
    public enum Stop implements Command {
        INSTANCE
    }

    private enum Tick implements Command {
        LOOK, STARTUP_TIMEOUT, WATCHDOG
    }

    private enum Changed implements Command {
        INSTANCE
    }

    /** The pool's status; null when it did not answer. */
    private record Looked(PoolStatus status) implements Command {
    }

    private record WatchdogAnswered(long tick, boolean answered) implements Command {
    }

    /** Transitions within this are one status question. */
    static final Duration COALESCE = Duration.ofMillis(100);

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final Pool pool;
    private final Notifications out;
    private final LongSupplier monotonicMicros;
    private final Duration startupTimeout;
    private final Subscription transitions;
    /** The latest watchdog tick: an answer to an earlier one is late and pings nothing. */
    private long watchdogTick;

    /**
     * @param pool the pool to report on
     * @param startupTimeout READY=1 after this at the latest ({@code pool.startup-timeout})
     * @param watchdog systemd's watchdog timeout, when it asked for pings
     * @param out where notifications go
     * @param monotonicMicros CLOCK_MONOTONIC in microseconds, for {@code MONOTONIC_USEC}
     */
    public static Behavior<Command> create(Pool pool, Duration startupTimeout, Optional<Duration> watchdog, Notifications out,
                                           LongSupplier monotonicMicros) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            SystemdNotifier n = new SystemdNotifier(ctx, timers, pool, startupTimeout, out, monotonicMicros);
            watchdog.ifPresent(w -> timers.startTimerWithFixedDelay(Tick.WATCHDOG, w.dividedBy(2)));
            timers.startSingleTimer(Tick.STARTUP_TIMEOUT, startupTimeout);
            n.look();
            return n.starting(null, "");
        }));
    }

    private SystemdNotifier(ActorContext<Command> ctx, TimerScheduler<Command> timers, Pool pool, Duration startupTimeout,
                            Notifications out, LongSupplier monotonicMicros) {
        this.ctx = ctx;
        this.timers = timers;
        this.pool = pool;
        this.startupTimeout = startupTimeout;
        this.out = out;
        this.monotonicMicros = monotonicMicros;
        var self = ctx.getSelf();
        this.transitions = pool.subscribe(e -> self.tell(Changed.INSTANCE));
    }

    // STARTING: READY=1 not sent; latest is the last status seen (null before the first), shown the STATUS= sent.
    private Behavior<Command> starting(PoolStatus latest, String shown) {
        return common()
                .onMessageEquals(Changed.INSTANCE, this::lookSoon)
                .onMessageEquals(Tick.LOOK, this::look)
                .onMessage(Looked.class, m -> onLookedStarting(m, latest, shown))
                .onMessageEquals(Tick.STARTUP_TIMEOUT, () -> onStartupTimeout(latest))
                .onMessage(Reloading.class, m -> Behaviors.same()) // not ready yet: nothing to reload from, for systemd
                .onMessage(Reloaded.class, m -> Behaviors.same())
                .build();
    }

    // RUNNING: READY=1 sent; shown is the STATUS= sent last.
    private Behavior<Command> running(String shown) {
        return common()
                .onMessageEquals(Changed.INSTANCE, this::lookSoon)
                .onMessageEquals(Tick.LOOK, this::look)
                .onMessage(Looked.class, m -> onLookedRunning(m, shown))
                .onMessageEquals(Tick.STARTUP_TIMEOUT, Behaviors::same)
                .onMessage(Reloading.class, m -> onReloading())
                .onMessage(Reloaded.class, this::onReloaded)
                .build();
    }

    // STOPPING: STOPPING=1 sent; only the watchdog still speaks.
    private Behavior<Command> stopping() {
        return common()
                .onMessage(Changed.class, m -> Behaviors.same())
                .onMessage(Tick.class, t -> Behaviors.same())
                .onMessage(Looked.class, m -> Behaviors.same())
                .onMessage(Reloading.class, m -> Behaviors.same())
                .onMessage(Reloaded.class, m -> Behaviors.same())
                .build();
    }

    /** What every state does alike: the watchdog, the stop, the end. */
    private BehaviorBuilder<Command> common() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Tick.WATCHDOG, this::onWatchdogTick)
                .onMessage(WatchdogAnswered.class, this::onWatchdogAnswered)
                .onMessageEquals(Stopping.INSTANCE, this::onStopping)
                .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                .onSignal(PostStop.class, s -> onPostStop());
    }

    private Behavior<Command> lookSoon() {
        if (!timers.isTimerActive(Tick.LOOK)) {
            timers.startSingleTimer(Tick.LOOK, COALESCE);
        }
        return Behaviors.same();
    }

    private Behavior<Command> look() {
        ctx.pipeToSelf(pool.status(), (status, error) -> new Looked(status));
        return Behaviors.same();
    }

    private Behavior<Command> onLookedStarting(Looked m, PoolStatus latest, String shown) {
        if (m.status() == null) {
            return Behaviors.same();
        }
        String text = StatusText.of(m.status());
        if (m.status().notReady().isEmpty()) {
            // STARTING -> RUNNING
            timers.cancel(Tick.STARTUP_TIMEOUT);
            send("READY=1\nSTATUS=" + text);
            ctx.getLog().info("told systemd procpool is ready: {}", text);
            return running(text);
        }
        return starting(m.status(), show(text, shown));
    }

    private Behavior<Command> onStartupTimeout(PoolStatus latest) {
        // STARTING -> RUNNING, with what is missing said
        String text = "startup-timeout " + startupTimeout.toSeconds() + "s passed; "
                + (latest == null ? "the pool has not answered yet" : StatusText.of(latest));
        send("READY=1\nSTATUS=" + text);
        ctx.getLog().warn("told systemd procpool is ready although not every service is: {}", text);
        return running(text);
    }

    private Behavior<Command> onLookedRunning(Looked m, String shown) {
        return m.status() == null ? Behaviors.same() : running(show(StatusText.of(m.status()), shown));
    }

    private Behavior<Command> onReloading() {
        send("RELOADING=1\nMONOTONIC_USEC=" + monotonicMicros.getAsLong() + "\nSTATUS=reloading the configuration");
        return running("reloading the configuration");
    }

    private Behavior<Command> onReloaded(Reloaded m) {
        String line = m.result().message().replace('\n', ' ');
        String text = (m.result().ok() ? "" : "reload: ") + line;
        send("READY=1\nSTATUS=" + text);
        lookSoon(); // the counts again, with what the reload started
        return running(text);
    }

    private Behavior<Command> onStopping() {
        send("STOPPING=1\nSTATUS=stopping every instance");
        timers.cancel(Tick.LOOK);
        timers.cancel(Tick.STARTUP_TIMEOUT);
        return stopping();
    }

    private Behavior<Command> onWatchdogTick() {
        long tick = ++watchdogTick;
        ctx.pipeToSelf(pool.status(), (status, error) -> new WatchdogAnswered(tick, status != null));
        return Behaviors.same();
    }

    private Behavior<Command> onWatchdogAnswered(WatchdogAnswered m) {
        if (!m.answered()) {
            ctx.getLog().warn("the pool did not answer a status question: no watchdog ping to systemd");
        } else if (m.tick() == watchdogTick) {
            send("WATCHDOG=1");
        }
        return Behaviors.same();
    }

    private Behavior<Command> onPostStop() {
        transitions.close();
        return Behaviors.same();
    }

    /** Sends {@code STATUS=text} when it differs from what was shown; what is shown now. */
    private String show(String text, String shown) {
        if (!text.equals(shown)) {
            send("STATUS=" + text);
        }
        return text;
    }

    private void send(String state) {
        out.send(state);
    }
}
