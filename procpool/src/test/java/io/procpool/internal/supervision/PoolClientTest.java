package io.procpool.internal.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.NotFoundException;
import io.procpool.api.OpResult;
import io.procpool.api.PoolStatus;
import io.procpool.api.UnavailableException;
import io.procpool.config.TestConfigs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The front door's own decisions: how long each answer may take, and what a missing one or a wrong name becomes. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolClientTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private static final PoolClient.Timeouts SHORT = new PoolClient.Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(3),
            Duration.ofSeconds(1));

    /** A client of a root that is {@code root}: a probe, so nothing is ever answered unless the test does. */
    private PoolClient client(TestProbe<PoolSupervisor.Command> root) {
        return new PoolClient(testKit.system(), root.getRef(), TestConfigs.pool("services.svc { command = x, ports = [1] }"),
                Path.of("").toAbsolutePath(), SHORT);
    }

    private static <T> T join(CompletionStage<T> stage) {
        return stage.toCompletableFuture().join();
    }

    @Test
    void anOperationWithoutAnAnswerInTimeSaysItGoesOnInsteadOfFailing() {
        TestProbe<PoolSupervisor.Command> root = testKit.createTestProbe();
        CompletableFuture<OpResult> restart = client(root).restart("svc").toCompletableFuture();
        PoolSupervisor.ForService asked = root.expectMessageClass(PoolSupervisor.ForService.class);
        assertInstanceOf(PoolActor.Restart.class, asked.operation());
        time.timePasses(Duration.ofSeconds(3));
        OpResult answer = restart.join();
        assertEquals(OpResult.Outcome.UNAVAILABLE, answer.outcome());
        assertEquals("rolling restart of svc still under way after 3s; it goes on (GET /status/svc follows it)", answer.message());
    }

    @Test
    void aRestartThatNeedNotWaitHasTheShortTimeout() {
        TestProbe<PoolSupervisor.Command> root = testKit.createTestProbe();
        CompletableFuture<OpResult> begun = client(root).beginRestart("svc").toCompletableFuture();
        PoolActor.Restart asked = (PoolActor.Restart) root.expectMessageClass(PoolSupervisor.ForService.class).operation();
        assertEquals(false, asked.waitForEnd());
        time.timePasses(Duration.ofSeconds(1));
        assertEquals(OpResult.Outcome.UNAVAILABLE, begun.join().outcome());
    }

    @Test
    void aStatusWithoutAnAnswerInTimeFailsAsUnavailable() {
        TestProbe<PoolSupervisor.Command> root = testKit.createTestProbe();
        CompletableFuture<PoolStatus> status = client(root).status().toCompletableFuture();
        root.expectMessageClass(PoolSupervisor.GetStatus.class);
        time.timePasses(Duration.ofSeconds(1));
        CompletionException e = assertThrows(CompletionException.class, status::join);
        assertInstanceOf(UnavailableException.class, e.getCause());
        assertEquals("the pool did not answer within 1s", e.getCause().getMessage());
    }

    @Test
    void whatFollowsAnAnswerRunsOnTheStreamsDispatcherNotOnAThreadOfItsOwn() {
        // Pekko's ask answers Scala's CompletableFuture, which would run this on the common pool:
        // on 2 cores, a new thread each time.
        TestProbe<PoolSupervisor.Command> root = testKit.createTestProbe();
        CompletableFuture<String> thread = client(root).status().thenApply(s -> Thread.currentThread().getName()).toCompletableFuture();
        root.expectMessageClass(PoolSupervisor.GetStatus.class).replyTo().tell(new PoolStatus(List.of(), 0));
        String name = thread.join();
        assertTrue(name.contains(io.procpool.internal.Dispatchers.STREAMS), "ran on " + name);

        // An operation's answer too (scale, restart, stop, start and signal share its path).
        CompletableFuture<String> operated = client(root).scale("web", 2).thenApply(r -> Thread.currentThread().getName())
                .toCompletableFuture();
        PoolSupervisor.ForService asked = root.expectMessageClass(PoolSupervisor.ForService.class);
        asked.operation().replyTo().tell(OpResult.ok("scaled"));
        String opName = operated.join();
        assertTrue(opName.contains(io.procpool.internal.Dispatchers.STREAMS), "ran on " + opName);
    }

    @Test
    void aNameThatIsNoServiceOrNoPortOfItIsNotFound() {
        TestProbe<PoolSupervisor.Command> root = testKit.createTestProbe();
        PoolClient client = client(root);
        var settings = TestConfigs.pool("services.svc { command = x, ports = [1] }").services().get("svc");
        CompletableFuture<List<String>> backends = client.backends("nope").toCompletableFuture();
        root.expectMessageClass(PoolSupervisor.GetStatus.class).replyTo().tell(new PoolStatus(
                List.of(io.procpool.api.ServiceStatus.disabled(settings)), 0));
        CompletionException e = assertThrows(CompletionException.class, backends::join);
        assertEquals(new NotFoundException("no service 'nope'; services: svc").getMessage(), e.getCause().getMessage());

        CompletableFuture<io.procpool.api.LogTail> log = client.log("svc", 9, 10).toCompletableFuture();
        root.expectMessageClass(PoolSupervisor.GetStatus.class).replyTo().tell(new PoolStatus(
                List.of(io.procpool.api.ServiceStatus.disabled(settings)), 0));
        e = assertThrows(CompletionException.class, log::join);
        assertInstanceOf(NotFoundException.class, e.getCause());
        assertEquals("service 'svc' has no port 9; ports: [1]", e.getCause().getMessage());
    }

    @Test
    void stderrOfAServiceThatMergesItIsNotFound() {
        TestProbe<PoolSupervisor.Command> root = testKit.createTestProbe();
        PoolClient client = client(root);
        var settings = TestConfigs.pool("services.svc { command = x, ports = [1] }").services().get("svc");
        CompletableFuture<io.procpool.api.LogTail> log = client.log("svc", 1, 10, true).toCompletableFuture();
        root.expectMessageClass(PoolSupervisor.GetStatus.class).replyTo().tell(new PoolStatus(
                List.of(io.procpool.api.ServiceStatus.disabled(settings)), 0));
        CompletionException e = assertThrows(CompletionException.class, log::join);
        assertInstanceOf(NotFoundException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("log.stderr = merged"), e.getCause().getMessage());
    }

    @Test
    void aReloadWithoutAFileIsAConflictAndAnInvalidConfigChangesNothing() {
        PoolClient client = client(testKit.createTestProbe());
        assertEquals(OpResult.Outcome.CONFLICT, join(client.reload()).outcome());
        OpResult invalid = join(client.reload(com.typesafe.config.ConfigFactory.parseString(
                "pool.services.svc { command = x, prots = [1] }")));
        assertEquals(OpResult.Outcome.INVALID, invalid.outcome());
        assertEquals("invalid configuration in test.conf; nothing changed", invalid.message());
    }

    /** Whichever door asked (here the API's way, no signal handler involved), the errors are in procpool's log. */
    @Test
    void aReloadThatChangesNothingIsLoggedWithEachError() {
        PoolClient client = client(testKit.createTestProbe());
        org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit.error("invalid configuration in test.conf; nothing changed:")
                .withLoggerName(PoolClient.class.getName())
                .expect(testKit.system(), () -> join(client.reload(com.typesafe.config.ConfigFactory.parseString(
                        "pool.services.svc { command = x, prots = [1] }"))));
        org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit.error("prots")
                .withLoggerName(PoolClient.class.getName())
                .expect(testKit.system(), () -> join(client.reload(com.typesafe.config.ConfigFactory.parseString(
                        "pool.services.svc { command = x, prots = [1] }"))));
        org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit.warn("not started from a configuration file")
                .withLoggerName(PoolClient.class.getName())
                .expect(testKit.system(), () -> join(client.reload()));
    }

    @Test
    void aReloadCannotTakeTheTokenAwayFromAnApiListeningBeyondLoopback() {
        TestProbe<PoolSupervisor.Command> root = testKit.createTestProbe();
        PoolClient client = new PoolClient(testKit.system(), root.getRef(), TestConfigs.pool(
                "admin { host = \"0.0.0.0\", token = s3cret }\nservices.svc { command = x, ports = [1] }"),
                Path.of("").toAbsolutePath(), SHORT);
        // Valid on its own (loopback needs no token), but the address moves only at a restart.
        OpResult refused = join(client.reload(com.typesafe.config.ConfigFactory.parseString(
                "pool { admin.host = \"127.0.0.1\", services.svc { command = x, ports = [1] } }")));
        assertEquals(OpResult.Outcome.INVALID, refused.outcome());
        assertEquals("invalid configuration in test.conf; nothing changed", refused.message());
        assertTrue(refused.details().get(0).contains("key 'pool.admin.token': is empty, but the admin API listens on 0.0.0.0:"),
                refused.details().toString());
        root.expectNoMessage();
        assertEquals(java.util.Optional.of("s3cret"), client.settings().admin().token());
    }

    @Test
    void everyReloadIsToldBeforeItBeginsAndAfterItEndsWhateverItsOutcome() {
        TestProbe<PoolSupervisor.Command> root = testKit.createTestProbe();
        PoolClient client = client(root);
        java.util.List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        client.listenToReloads(new PoolClient.ReloadListener() {
            @Override
            public void reloading() {
                told.add("reloading");
            }

            @Override
            public void reloaded(OpResult result) {
                told.add("reloaded " + result.outcome());
            }
        });

        CompletableFuture<OpResult> applied = client.reload(com.typesafe.config.ConfigFactory.parseString(
                "pool.services.svc { command = y, ports = [1] }")).toCompletableFuture();
        assertEquals(java.util.List.of("reloading"), told, "told before the root is asked");
        PoolSupervisor.Reload asked = root.expectMessageClass(PoolSupervisor.Reload.class);
        asked.replyTo().tell(OpResult.ok("reloaded"));
        join(applied);
        assertEquals(java.util.List.of("reloading", "reloaded OK"), told);

        join(client.reload(com.typesafe.config.ConfigFactory.parseString("pool.services.svc { command = y, ports = [] }")));
        assertEquals(java.util.List.of("reloading", "reloaded OK", "reloading", "reloaded INVALID"), told);

        join(client.reload()); // not started from a file
        assertEquals("reloaded CONFLICT", told.get(told.size() - 1));
    }
}
