package io.procpool.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.api.InstanceStatus;
import io.procpool.api.OpResult;
import io.procpool.api.PoolStatus;
import io.procpool.ProcessPool;
import io.procpool.api.ServiceStatus;
import io.procpool.config.InvalidConfigException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import scala.concurrent.duration.FiniteDuration;

/**
 * A whole procpool supervision tree running on simulated processes, simulated probes and
 * {@link VirtualTime}: failure scenarios over minutes of virtual time, in milliseconds, with the
 * same results every run.
 *
 * <pre>{@code
 * @JUnit5TestKit
 * ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(Simulation.config()).build();
 *
 * @Test
 * void aCrashLoopEndsFailed() {
 *     try (Simulation sim = Simulation.create(testKit, "services.web { command = srv, ports = [8000] }")
 *             .script("web", ProcessScript.healthy().exitsAfter(Duration.ofSeconds(1), 1))
 *             .start()) {
 *         sim.advance(Duration.ofMinutes(2));
 *         assertEquals(InstanceState.FAILED, sim.instance("web", 8000).state());
 *     }
 * }
 * }</pre>
 *
 * <p>The pool is a real {@link ProcessPool} (the same actors, policies and timers as in
 * production) whose seams are {@link SimulatedLauncher}, {@link SimulatedHealthProbe} and
 * {@link SimulatedResources}; nothing touches the operating system or the network. Close it
 * before the actor system goes (try-with-resources): closing stops the instances while moving
 * virtual time on, so stop timeouts run out as they would.
 */
public final class Simulation implements AutoCloseable {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ActorSystem<?> system;
    private final Config config;
    private final VirtualTime time;
    private final SimulatedLauncher launcher;
    private final SimulatedHealthProbe probes;
    private ProcessPool pool;

    private Simulation(ActorSystem<?> system, Config config) {
        this.system = system;
        this.config = config;
        this.time = VirtualTime.get(system);
        this.launcher = new SimulatedLauncher(time::nanos);
        this.probes = new SimulatedHealthProbe(launcher);
    }

    /**
     * The actor system configuration a simulation needs: the {@link VirtualTime} scheduler and
     * dispatchers that let it know when the actors are done ({@link SettledExecutor}). Pass it to
     * {@code ActorTestKit.create(...)} or {@code JUnit5TestKitBuilder.withCustomConfig(...)}.
     */
    public static Config config() {
        return ConfigFactory.parseString("""
                pekko.scheduler.implementation = "io.procpool.testkit.VirtualTime"
                pekko.actor.default-dispatcher.executor = "io.procpool.testkit.SettledExecutor"
                pekko.actor.internal-dispatcher.executor = "io.procpool.testkit.SettledExecutor"
                pekko.actor.default-blocking-io-dispatcher.executor = "io.procpool.testkit.SettledExecutor"
                procpool.dispatchers.blocking.executor = "io.procpool.testkit.SettledExecutor"
                procpool.dispatchers.instance.executor = "io.procpool.testkit.SettledExecutor"
                pekko.log-dead-letters = 0
                """);
    }

    /**
     * A simulated pool in {@code testKit}'s actor system (which must use {@link #config()}), not
     * started yet: script its processes, then {@link #start()} it.
     *
     * @param poolBody the body of the {@code procpool { ... }} section, as in a pool file; the admin
     *     API is off unless it says otherwise
     */
    public static Simulation create(ActorTestKit testKit, String poolBody) {
        return create(testKit.system(), ConfigFactory.parseString("procpool.admin.enabled = false\nprocpool {\n" + poolBody + "\n}"));
    }

    /** A simulated pool from {@code config} (with a {@code procpool} section) in {@code system}, not started yet. */
    public static Simulation create(ActorSystem<?> system, Config config) {
        return new Simulation(system, config);
    }

    /** {@link #create} and {@link #start()} in one, for pools whose processes need no script from the start. */
    public static Simulation start(ActorTestKit testKit, String poolBody) {
        return create(testKit, poolBody).start();
    }

    /** Starts the pool: every enabled service starts its instances, at the current virtual time. */
    public Simulation start() {
        if (pool != null) {
            throw new IllegalStateException("already started");
        }
        try {
            pool = ProcessPool.builder(config).source("simulation").actorSystem(system)
                    .launcher(launcher).healthProbe(sys -> probes).resources(new SimulatedResources(launcher))
                    .clock(time::nanos).start();
        } catch (InvalidConfigException e) {
            throw new IllegalArgumentException("invalid simulated pool:\n" + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        time.settle();
        return this;
    }

    /** Every process of {@code service} started from now on behaves as {@code script} says (may be set before {@link #start()}). */
    public Simulation script(String service, ProcessScript script) {
        return script(service, n -> script);
    }

    /**
     * The n-th process of {@code service} started from now on (counting from 1) behaves as
     * {@code scripts.apply(n)} says: "the first three runs crash, the fourth serves".
     */
    public Simulation script(String service, IntFunction<ProcessScript> scripts) {
        int[] launches = {0};
        launcher.onStart(service, p -> apply(p, scripts.apply(++launches[0])));
        return this;
    }

    private void apply(SimulatedProcess p, ProcessScript s) {
        p.probes(s::answer).load(s.cpuCores(), s.rssBytes());
        if (s.ignoresStop()) {
            p.ignorePoliteSignals();
        }
        if (s.exitsAfter() != null) {
            system.classicSystem().scheduler().scheduleOnce(FiniteDuration.fromNanos(s.exitsAfter().toNanos()),
                    () -> p.exit(s.exitCode()), system.executionContext());
        }
    }

    /** Moves virtual time forward; every timer on the way fires, and the actors react, in order. */
    public void advance(Duration d) {
        time.advance(d);
    }

    /** Virtual time since the actor system started. */
    public Duration now() {
        return time.now();
    }

    /** The pool's status now. */
    public PoolStatus status() {
        return await(pool.status());
    }

    /** One service's status now. */
    public ServiceStatus service(String name) {
        return status().services().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no service '" + name + "'"));
    }

    /** The instance of {@code service} on {@code port} now. */
    public InstanceStatus instance(String service, int port) {
        return service(service).instances().stream().filter(i -> i.port() == port).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(service + " has no instance on " + port + " now"));
    }

    /** The ready set of {@code service}: {@code "127.0.0.1:PORT"} of its HEALTHY (or RUNNING) instances. */
    public List<String> backends(String service) {
        return await(pool.backends(service));
    }

    /** Runs an operation of the pool ({@code sim.run(p -> p.scale("web", 3))}) and returns its result. */
    public OpResult run(java.util.function.Function<ProcessPool, CompletionStage<OpResult>> operation) {
        CompletionStage<OpResult> result = operation.apply(pool);
        // Operations may wait on timers (a rolling restart waits for probes): let time pass until done.
        for (int i = 0; i < 10_000 && !result.toCompletableFuture().isDone(); i++) {
            time.advance(Duration.ofMillis(100));
        }
        return await(result);
    }

    /**
     * The virtual times at which processes of {@code service} were started on {@code port},
     * oldest first: the gaps are the restart delays.
     */
    public List<Duration> launchTimes(String service, int port) {
        return launcher.startedOn(port).stream().filter(p -> p.spec().service().equals(service))
                .map(p -> Duration.ofNanos(p.launchedAtNanos())).toList();
    }

    /** The pool itself, for its whole API. */
    public ProcessPool pool() {
        return pool;
    }

    /** The simulated processes, to crash one or look at the signals it got. */
    public SimulatedLauncher processes() {
        return launcher;
    }

    /** The simulated probe, for per-port scripts. */
    public SimulatedHealthProbe probes() {
        return probes;
    }

    private <T> T await(CompletionStage<T> stage) {
        time.settle();
        try {
            return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the simulated pool did not answer: " + e, e);
        }
    }

    /** Stops every instance, moving virtual time on until they are gone (stop timeouts included). */
    @Override
    public void close() {
        if (pool == null) {
            return;
        }
        var closing = pool.closeAsync().toCompletableFuture();
        for (int i = 0; i < 100_000 && !closing.isDone(); i++) {
            time.advance(Duration.ofMillis(100));
        }
        closing.join();
    }
}
