package io.procpool.internal.tuning;

import io.procpool.api.ServiceStatus;
import io.procpool.internal.supervision.PoolActor;
import io.procpool.internal.supervision.PoolEnvironment;
import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.config.ServiceSettings;
import io.procpool.spi.ProbeResult;
import io.procpool.spi.ChildProcess;
import io.procpool.api.ExitStatus;
import io.procpool.spi.LaunchSpec;
import io.procpool.spi.ProcessLauncher;
import io.procpool.config.Signal;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Runs the restart path a number of times at startup, on an instance that exits as soon as it is
 * started, so that the JIT has compiled that path before the first real crash.
 *
 * <p>Why: a crash is rare, so the code between a child's exit and the start of its replacement
 * (the reaper's hand-over of the exit, the instance's exit handling and group check, its pool's
 * restart decision, the new instance's setup) is still interpreted at the first crashes of a run,
 * and the JIT compiles it during them, on the second core, while the new child starts
 * (bench/analysis.md). Exercised here, it is compiled before anything can crash.
 *
 * <p>The first {@value #REAL_CRASHES} of the {@value #CRASHES} crashes are real: {@code true},
 * started by the pool's own launcher (the platform's start, the state file, the reaper), its
 * output on {@code /dev/null}, and SIGKILLed at once. The pool's starts run the launch, but
 * nothing before the first crash ran the exit's side (the reaper's {@code waitid} and hand-over,
 * the group check) even once: with the actors' part warmed in memory only, each JVM's first ten
 * crashes took 0.8 ms more (p50) than its next thirty; the real ones took about 0.5 ms off those
 * ten (bench/analysis.md, "Sixth pass"). The rest are in memory: they compile the actors' part at
 * no process's cost.
 *
 * <p>The instance runs under a pool of its own ({@link PoolActor#silent}), which decides its
 * restarts exactly as every pool does, with no backoff; this actor stops that pool once the
 * instance runs after the last crash, and then stops itself. Nothing is logged, counted or
 * published: the probe and the metrics are its own, and the pool is silent.
 */
public final class RestartWarmup {

    /** Restarts run through: well past the few calls after which the JIT compiles a method. */
    static final int CRASHES = 40;
    /**
     * Of those, real processes: a few, for their first calls (procpool's code compiles after a
     * few calls, conf/jvm.options); each is a real spawn and exit at startup. Not tuned: only
     * five were measured.
     */
    static final int REAL_CRASHES = 5;

    private RestartWarmup() {
    }

    /** The warm-up's actor, its first crashes real processes of {@code real}: it stops by itself. */
    public static Behavior<Void> create(ProcessLauncher real) {
        return create(CRASHES, REAL_CRASHES, real, launches -> { });
    }

    /**
     * @param crashes how many times the instance crashes before it is stopped
     * @param realCrashes how many of those start a real process (at most {@code crashes})
     * @param real the launcher of those
     * @param whenDone told how many processes were launched in all, as the actor stops
     */
    static Behavior<Void> create(int crashes, int realCrashes, ProcessLauncher real, LongConsumer whenDone) {
        return Behaviors.<Object>setup(ctx -> {
            WarmupLauncher launcher = new WarmupLauncher(crashes, realCrashes, real);
            PoolEnvironment env = new PoolEnvironment(launcher, (port, health) -> CompletableFuture.completedFuture(
                    ProbeResult.failed(Duration.ZERO, "not probed")), Path.of("logs"));
            // On the instances' dispatcher, as every pool: there a launch starts its process on the
            // calling thread, as a restart's does (elsewhere it hops to a launcher thread of its own,
            // which then stays for the JVM's life).
            ActorRef<PoolActor.Command> pool = ctx.spawn(PoolActor.silent(service(), env, ctx.getSelf().narrow()), "pool",
                    PoolActor.INSTANCE_DISPATCHER);
            ctx.watch(pool);
            return Behaviors.receive(Object.class)
                    .onMessage(ServiceStatus.class, m -> {
                        if (!m.ready().isEmpty() && launcher.launches.get() > crashes) {
                            pool.tell(new PoolActor.Stop("warm-up done"));
                        }
                        return Behaviors.same();
                    })
                    .onSignal(Terminated.class, t -> {
                        whenDone.accept(launcher.launches.get());
                        return Behaviors.stopped();
                    })
                    .onAnyMessage(m -> Behaviors.same())
                    .build();
        }).narrow();
    }

    /** The warm-up instance's settings: no probe, no backoff, a budget that outlasts every crash. */
    static ServiceSettings service() {
        try {
            return PoolConfigLoader.fromConfig(ConfigFactory.parseString("""
                    procpool.services.warmup {
                      command = "true"
                      ports = [1]
                      health-check.type = none
                      restart { min-backoff = 0, max-restarts = %d }
                    }""".formatted(CRASHES * 2)), "(warm-up)", Path.of("").toAbsolutePath()).services().get("warmup");
        } catch (InvalidConfigException e) {
            throw new IllegalStateException("the warm-up's own settings are invalid: " + e.getMessage(), e);
        }
    }

    /**
     * Starts processes that exit at once, {@code crashes} of them, the first {@code realCrashes}
     * real ({@code true}, through {@code real}); then one in memory that runs until signalled.
     * Not the testkit's {@code SimulatedLauncher}: the testkit is a jar of its own that the main jar
     * must not need, and this needs only "exit at once, n times" (70 lines). {@link #expect} stays
     * the interface's no-op: the pool's own spec names a log file under {@code logs/}, which must
     * not be created ahead.
     */
    private static final class WarmupLauncher implements ProcessLauncher {
        final AtomicLong launches = new AtomicLong();
        private final int crashes;
        private final int realCrashes;
        private final ProcessLauncher real;

        /** The pool's spec with its output on /dev/null; one object, which the launcher prepares once. */
        private LaunchSpec nowhere;

        WarmupLauncher(int crashes, int realCrashes, ProcessLauncher real) {
            this.crashes = crashes;
            this.realCrashes = realCrashes;
            this.real = real;
        }

        /**
         * No log file for a service nobody configured: its output and the marker line every start
         * writes go to /dev/null. (The log rotator is told to watch a file named "null" in the logs
         * folder: no instance's log has that name, they are SERVICE-PORT.log.)
         */
        private LaunchSpec nowhere(LaunchSpec spec) {
            if (nowhere == null) {
                nowhere = new LaunchSpec(spec.service(), spec.port(), spec.command(), spec.workingDir(), spec.env(),
                        Path.of("/dev/null"), spec.log(), spec.runAs());
            }
            return nowhere;
        }

        @Override
        public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
            long n = launches.incrementAndGet();
            if (n <= realCrashes) {
                // Killed at once, as a crash is: it ends even on a platform whose processes wait for
                // a signal (an embedding's, a test's), and its exit is the one a crash brings.
                return real.launch(nowhere(spec)).thenApply(child -> {
                    child.signal(Signal.KILL);
                    return child;
                });
            }
            return CompletableFuture.completedFuture(new InMemoryProcess(n, n <= crashes));
        }
    }

    /** A process in memory: it exits at once if it {@code crashes}, else on any signal but SIGCONT. */
    static final class InMemoryProcess implements ChildProcess {
        private final long pid;
        private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();

        InMemoryProcess(long pid, boolean crashes) {
            this.pid = pid;
            if (crashes) {
                exit.complete(new ExitStatus(128 + Signal.KILL.number()));
            }
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public CompletionStage<ExitStatus> onExit() {
            return exit;
        }

        @Override
        public void signal(Signal signal) {
            if (signal != Signal.CONT) {
                exit.complete(new ExitStatus(128 + signal.number()));
            }
        }

        @Override
        public boolean groupAlive() {
            return !exit.isDone();
        }
    }
}
