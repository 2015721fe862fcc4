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
 * Runs the restart path a number of times at startup, on an instance whose "process" lives in
 * memory and exits as soon as it is started, so that the JIT has compiled that path before the
 * first real crash.
 *
 * <p>Why: a crash is rare, so the code between a child's exit and the start of its replacement
 * (the instance's exit handling, its pool's restart decision, the new instance's setup) is still
 * interpreted at the first crashes of a run, and the JIT compiles it during them, on the second
 * core, while the new child starts (bench/analysis.md). Exercised {@value #CRASHES} times here, it
 * is compiled before anything can crash. The launch and the reaping of a real process are compiled
 * by the pool's own starts and first exits.
 *
 * <p>The instance runs under a pool of its own ({@link PoolActor#silent}), which decides its
 * restarts exactly as every pool does, with no backoff; this actor stops that pool once the
 * instance runs after the last crash, and then stops itself. Nothing is started, logged, counted
 * or published: the launcher, the probe and the metrics are its own, and the pool is silent.
 */
public final class RestartWarmup {

    /** Restarts run through: well past the few calls after which the JIT compiles a method. */
    static final int CRASHES = 40;

    private RestartWarmup() {
    }

    /** The warm-up's actor: it stops by itself. */
    public static Behavior<Void> create() {
        return create(CRASHES, launches -> { });
    }

    /**
     * @param crashes how many times the instance crashes before it is stopped
     * @param whenDone told how many processes were launched in all, as the actor stops
     */
    static Behavior<Void> create(int crashes, LongConsumer whenDone) {
        return Behaviors.<Object>setup(ctx -> {
            InMemoryLauncher launcher = new InMemoryLauncher(crashes);
            PoolEnvironment env = new PoolEnvironment(launcher, (port, health) -> CompletableFuture.completedFuture(
                    ProbeResult.failed(Duration.ZERO, "not probed")), Path.of("logs"));
            ActorRef<PoolActor.Command> pool = ctx.spawn(PoolActor.silent(service(), env, ctx.getSelf().narrow()), "pool");
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
     * Starts processes that exit at once, {@code crashes} of them; then one that runs until signalled.
     * Not the testkit's {@code SimulatedLauncher}: the testkit is a jar of its own that the main jar
     * must not need, and this needs only "exit at once, n times" (50 lines).
     */
    private static final class InMemoryLauncher implements ProcessLauncher {
        final AtomicLong launches = new AtomicLong();
        private final int crashes;

        InMemoryLauncher(int crashes) {
            this.crashes = crashes;
        }

        @Override
        public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
            long n = launches.incrementAndGet();
            return CompletableFuture.completedFuture(new InMemoryProcess(n, n <= crashes));
        }
    }

    private static final class InMemoryProcess implements ChildProcess {
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
