package io.procpool.internal.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.procpool.api.OpResult;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import io.procpool.config.PoolSettings;
import io.procpool.config.Signal;
import io.procpool.config.TestConfigs;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import io.procpool.testkit.SimulatedProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The root's start and stop order under {@code depends-on}: a service is spawned only once what it
 * depends on has an instance ready, and at a stop of everything it goes before what it depends on.
 * A dependency here is probed, and its probe fails until the test lets it pass, so "not ready yet"
 * lasts as long as the test wants.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_METHOD)
class PoolSupervisorDependsOnTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private final SimulatedLauncher launcher = new SimulatedLauncher();
    private final SimulatedHealthProbe probe = new SimulatedHealthProbe();
    private final AtomicBoolean dbUp = new AtomicBoolean();
    private ActorRef<PoolSupervisor.Command> root;

    /** db is probed on 6601 and ready once {@link #dbUp} is set; the others are ready when they run. */
    private static final String DB = """
            db { command = db, ports = [6601], health-check { type = tcp, start-interval = 100ms, start-period = 1h } }
            """;

    private ActorRef<PoolSupervisor.Command> start(String services) {
        probe.script(6601, n -> Optional.of(dbUp.get() ? SimulatedHealthProbe.ok() : SimulatedHealthProbe.fail("connection refused")));
        PoolSettings settings = pool(services);
        root = testKit.spawn(PoolSupervisor.create(settings, new PoolEnvironment(launcher, probe, Path.of("logs"))));
        root.tell(PoolSupervisor.Start.INSTANCE);
        return root;
    }

    private static PoolSettings pool(String services) {
        return TestConfigs.pool("defaults.health-check.type = none\ndefaults.stop.timeout = 5s\nservices {\n" + services + "\n}");
    }

    @AfterEach
    void stopEverything() {
        if (root != null) {
            TestProbe<Done> done = testKit.createTestProbe();
            root.tell(new PoolSupervisor.StopAll(done.getRef()));
            done.fishForMessage(Duration.ofSeconds(5), d -> FishingOutcomes.complete());
        }
    }

    private PoolStatus awaitStatus(Predicate<PoolStatus> condition) {
        TestProbe<PoolStatus> reply = testKit.createTestProbe();
        return reply.awaitAssert(Duration.ofSeconds(5), () -> {
            root.tell(new PoolSupervisor.GetStatus(reply.getRef()));
            PoolStatus s = reply.receiveMessage();
            assertTrue(condition.test(s), s.toString());
            return s;
        });
    }

    private static ServiceStatus service(PoolStatus s, String name) {
        return s.services().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    }

    private static Predicate<PoolStatus> is(String name, ServiceState state) {
        return s -> service(s, name).state() == state;
    }

    private OpResult operate(String service, java.util.function.Function<ActorRef<OpResult>, PoolActor.Operation> op) {
        TestProbe<OpResult> reply = testKit.createTestProbe();
        root.tell(new PoolSupervisor.ForService(service, op.apply(reply.getRef())));
        return reply.receiveMessage();
    }

    /** The root's status now. */
    private PoolStatus now() {
        TestProbe<PoolStatus> reply = testKit.createTestProbe();
        root.tell(new PoolSupervisor.GetStatus(reply.getRef()));
        return reply.receiveMessage();
    }

    /**
     * Moves time on a probe interval at a time until {@code condition} holds: a timer set just after
     * the moment the test saw (a probe, a stop deadline) is then reached all the same.
     */
    private void advanceUntil(String what, BooleanSupplier condition) {
        testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
            if (!condition.getAsBoolean()) {
                time.timePasses(Duration.ofMillis(100));
            }
            assertTrue(condition.getAsBoolean(), what);
            return null;
        });
    }

    /** Lets db's probes pass and waits until it is ready. */
    private void dbBecomesReady() {
        dbUp.set(true);
        advanceUntil("db ready", () -> is("db", ServiceState.RUNNING).test(now()));
    }

    @Test
    void aServiceStartsOnlyOnceWhatItDependsOnHasAnInstanceReady() {
        start(DB + """
                api { command = api, ports = [6602], depends-on = [db] }
                web { command = web, ports = [6603], depends-on = [api] }
                solo { command = solo, ports = [6604] }
                """);
        awaitStatus(is("solo", ServiceState.RUNNING).and(s -> launcher.startedOn(6601).size() == 1));
        // db runs, but its probe fails: it is not ready, so api and (through api) web wait.
        advanceUntil("db probed twice", () -> probe.probes(6601) >= 2);
        PoolStatus waiting = awaitStatus(is("api", ServiceState.WAITING).and(is("db", ServiceState.DEGRADED)));
        assertEquals(Optional.of("waiting for db to have an instance ready (depends-on)"), service(waiting, "api").operation());
        assertEquals(Optional.of("waiting for api to have an instance ready (depends-on)"), service(waiting, "web").operation());
        assertEquals(ServiceState.WAITING, service(waiting, "web").state());
        assertEquals(1, service(waiting, "api").desired(), "what it will run once started");
        assertTrue(launcher.startedOn(6602).isEmpty() && launcher.startedOn(6603).isEmpty(), launcher.started().toString());

        dbBecomesReady();
        PoolStatus running = awaitStatus(is("api", ServiceState.RUNNING).and(is("web", ServiceState.RUNNING)));
        assertEquals(Optional.empty(), service(running, "web").operation());
        List<SimulatedProcess> order = launcher.started();
        assertTrue(order.indexOf(launcher.latestOn(6601)) < order.indexOf(launcher.latestOn(6602))
                && order.indexOf(launcher.latestOn(6602)) < order.indexOf(launcher.latestOn(6603)), order.toString());
    }

    @Test
    void aLaterCrashOfADependencyLeavesTheServicesThatDependOnItRunning() {
        start("""
                db { command = db, ports = [6611], restart { min-backoff = 1s, random-factor = 0 } }
                api { command = api, ports = [6612], depends-on = [db] }
                """);
        awaitStatus(is("api", ServiceState.RUNNING));
        long apiPid = launcher.latestOn(6612).pid();
        launcher.latestOn(6611).exit(1);
        awaitStatus(is("db", ServiceState.DEGRADED));
        advanceUntil("db restarted after its backoff", () -> launcher.startedOn(6611).size() == 2);
        awaitStatus(is("db", ServiceState.RUNNING));
        assertEquals(List.of(), launcher.latestOn(6612).signals());
        assertEquals(apiPid, service(awaitStatus(is("api", ServiceState.RUNNING)), "api").instances().get(0).pid().getAsLong());
    }

    @Test
    void stopAllStopsDependentsFirstAndUnrelatedServicesAtOnce() {
        launcher.onStart(6622, SimulatedProcess::ignorePoliteSignals);
        start("""
                db { command = db, ports = [6621] }
                api { command = api, ports = [6622], depends-on = [db] }
                other { command = other, ports = [6623] }
                """);
        awaitStatus(s -> s.services().stream().allMatch(x -> x.state() == ServiceState.RUNNING));
        SimulatedProcess db = launcher.latestOn(6621);
        SimulatedProcess api = launcher.latestOn(6622);
        SimulatedProcess other = launcher.latestOn(6623);

        TestProbe<Done> done = testKit.createTestProbe();
        root.tell(new PoolSupervisor.StopAll(done.getRef()));
        done.awaitAssert(() -> {
            assertEquals(List.of(Signal.TERM), api.signals());
            assertEquals(List.of(Signal.TERM), other.signals());
            return null;
        });
        // api ignores TERM: until its stop timeout kills it, db is not even signalled.
        assertEquals(List.of(), db.signals());
        time.expectNoMessageFor(Duration.ofMillis(4900), done);
        assertEquals(List.of(), db.signals());
        assertTrue(api.alive());
        advanceUntil("api killed at its stop timeout", () -> api.signals().contains(Signal.KILL));
        done.expectMessage(Done.getInstance());
        assertEquals(List.of(Signal.TERM, Signal.KILL), api.signals());
        assertEquals(List.of(Signal.TERM), db.signals(), "db stopped politely once api was gone");
        root = null;
    }

    @Test
    void theStopBudgetCoversEachServiceOfTheLongestChainInTurn() {
        PoolSettings chain = pool("""
                db { command = db, ports = [6631], stop.timeout = 20s }
                api { command = api, ports = [6632], depends-on = [db] }
                web { command = web, ports = [6633], depends-on = [api], drain.delay = 2s }
                """);
        // web (2s + 10s drain, 5s), then api (10s drain, 5s), then db (10s drain, 20s), each + 10s.
        assertEquals(Duration.ofSeconds(27 + 25 + 40), PoolSupervisor.stopBudget(chain));
        PoolSettings apart = pool("""
                db { command = db, ports = [6631], stop.timeout = 20s }
                api { command = api, ports = [6632], drain.delay = 2s }
                """);
        assertEquals(Duration.ofSeconds(12 + 20 + 10), PoolSupervisor.stopBudget(apart), "as before: the longest drain and stop");
    }

    @Test
    void aWaitingServiceStoppedByAnOperatorStaysStoppedUntilStarted() {
        start(DB + "api { command = api, ports = [6602], depends-on = [db] }");
        awaitStatus(is("api", ServiceState.WAITING));
        assertEquals(new OpResult(OpResult.Outcome.CONFLICT, "api has not started: it is waiting for db to have an instance "
                + "ready (depends-on)", List.of()), operate("api", r -> new PoolActor.Scale(1, r)));
        assertEquals("api is waiting for db to have an instance ready (depends-on); it starts then",
                operate("api", PoolActor.StartService::new).message());
        OpResult stopped = operate("api", PoolActor.StopService::new);
        assertEquals(OpResult.Outcome.OK, stopped.outcome());
        assertEquals("api stopped (it was waiting for db to have an instance ready (depends-on) and had not started)",
                stopped.message());

        dbBecomesReady();
        PoolStatus held = awaitStatus(is("api", ServiceState.STOPPED));
        assertEquals(Optional.empty(), service(held, "api").operation());
        assertTrue(launcher.startedOn(6602).isEmpty(), "a stop holds it: db's readiness does not start it");

        assertEquals("api started", operate("api", PoolActor.StartService::new).message());
        awaitStatus(is("api", ServiceState.RUNNING));
    }

    @Test
    void aReloadStartsWhatNoLongerWaitsAndAddedServicesWaitForTheirDependencies() {
        start(DB + """
                api { command = api, ports = [6602], depends-on = [db] }
                solo { command = solo, ports = [6604] }
                """);
        awaitStatus(is("api", ServiceState.WAITING).and(is("solo", ServiceState.RUNNING)));
        long soloPid = launcher.latestOn(6604).pid();
        TestProbe<OpResult> reply = testKit.createTestProbe();
        root.tell(new PoolSupervisor.Reload(pool(DB + """
                api { command = api, ports = [6602] }
                solo { command = solo, ports = [6604], depends-on = [db] }
                late { command = late, ports = [6605], depends-on = [db] }
                """), reply.getRef()));
        assertEquals("reloaded test.conf: added: late; adjusted: api, solo; unchanged: db", reply.receiveMessage().message());
        // api no longer depends on anything: it starts now. late is new and waits for db. solo gained a
        // dependency that is not ready, and keeps running: depends-on orders starts, it stops nothing.
        PoolStatus after = awaitStatus(is("api", ServiceState.RUNNING).and(is("late", ServiceState.WAITING)));
        assertEquals(ServiceState.RUNNING, service(after, "solo").state());
        assertEquals(soloPid, launcher.latestOn(6604).pid());
        assertEquals(List.of(), launcher.latestOn(6604).signals());
        assertTrue(launcher.startedOn(6605).isEmpty());

        dbBecomesReady();
        awaitStatus(is("late", ServiceState.RUNNING));
    }

    @Test
    void aReloadThatMakesACycleIsRefusedAndNothingRunningIsTouched() {
        start("""
                a { command = a, ports = [6641] }
                b { command = b, ports = [6642], depends-on = [a] }
                """);
        PoolStatus before = awaitStatus(is("a", ServiceState.RUNNING).and(is("b", ServiceState.RUNNING)));
        PoolClient client = new PoolClient(testKit.system(), root, pool("""
                a { command = a, ports = [6641] }
                b { command = b, ports = [6642], depends-on = [a] }
                """), Path.of("").toAbsolutePath(), PoolClient.Timeouts.DEFAULT);
        OpResult refused = client.reload(ConfigFactory.parseString("""
                pool.services {
                  a { command = a, ports = [6641], health-check.type = none, depends-on = [b] }
                  b { command = b, ports = [6642], health-check.type = none, depends-on = [a] }
                }
                """)).toCompletableFuture().join();
        assertEquals(OpResult.Outcome.INVALID, refused.outcome());
        assertEquals("invalid configuration in test.conf; nothing changed", refused.message());
        assertTrue(refused.details().stream().anyMatch(d -> d.contains("service 'a', key 'depends-on': is a cycle: a -> b -> a")),
                refused.details().toString());
        assertEquals(List.of(), client.settings().services().get("a").dependsOn(), "the client keeps the running settings");
        PoolStatus after = awaitStatus(is("a", ServiceState.RUNNING).and(is("b", ServiceState.RUNNING)));
        assertEquals(service(before, "a").instances(), service(after, "a").instances());
        assertEquals(service(before, "b").instances(), service(after, "b").instances());
        assertEquals(1, launcher.startedOn(6641).size());
        assertEquals(List.of(), launcher.latestOn(6641).signals());
    }
}
