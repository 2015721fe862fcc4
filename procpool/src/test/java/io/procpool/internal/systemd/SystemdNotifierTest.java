package io.procpool.internal.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.OpResult;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.ScriptedPool;
import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import io.procpool.config.PoolSettings;
import io.procpool.config.TestConfigs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What procpool tells systemd, in order, against a scripted pool and a fake notification
 * socket (every notification arrives at a test probe), on manual time.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class SystemdNotifierTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private final TestProbe<String> sent = testKit.createTestProbe();

    private static final PoolSettings SETTINGS = TestConfigs.pool("""
            services {
              web { command = w, ports = [8000, 8001] }
              slow { command = s, ports = [8010] }
              off { command = o, ports = [8020], enabled = false }
            }
            """);
    private static final Duration STARTUP = Duration.ofSeconds(60);

    /** The pool's status now; the scripted pool answers with it (or not at all, when its future never completes). */
    private final AtomicReference<CompletionStage<PoolStatus>> status = new AtomicReference<>(
            CompletableFuture.completedFuture(pool(0, 0)));
    private final ScriptedPool pool = ScriptedPool.answering(status::get);

    private static InstanceStatus instance(int port, InstanceState state) {
        return new InstanceStatus(port, OptionalLong.of(port), state, 0, 1, Optional.empty(), "", Optional.empty(), List.of("x"),
                Path.of("x.log"), List.of());
    }

    /** web with {@code web} of its 2 instances ready, slow with {@code slow} of 1. */
    private static PoolStatus pool(int web, int slow) {
        List<InstanceStatus> webs = List.of(instance(8000, web > 0 ? InstanceState.HEALTHY : InstanceState.STARTING),
                instance(8001, web > 1 ? InstanceState.HEALTHY : InstanceState.STARTING));
        List<InstanceStatus> slows = List.of(instance(8010, slow > 0 ? InstanceState.HEALTHY : InstanceState.STARTING));
        return new PoolStatus(List.of(
                new ServiceStatus("web", ServiceState.of(2, webs), 2, webs, SETTINGS.services().get("web"), Optional.empty()),
                new ServiceStatus("slow", ServiceState.of(1, slows), 1, slows, SETTINGS.services().get("slow"), Optional.empty()),
                ServiceStatus.disabled(SETTINGS.services().get("off"))), 0);
    }

    private ActorRef<SystemdNotifier.Command> spawn(Optional<Duration> watchdog) {
        ActorRef<String> to = sent.getRef();
        Notifications fake = new Notifications() {
            @Override
            public void send(String state) {
                to.tell(state);
            }

            @Override
            public void close() {
            }
        };
        return testKit.spawn(SystemdNotifier.create(pool.pool(), STARTUP, watchdog, fake, () -> 1234567L));
    }

    /** The pool now answers with {@code next}, and a transition tells the notifier to look. */
    private void becomes(PoolStatus next) {
        status.set(CompletableFuture.completedFuture(next));
        sent.awaitAssert(() -> {
            assertEquals(true, pool.listener() != null, "the notifier subscribed");
            return null;
        });
        pool.listener().accept(new PoolEvent(Instant.EPOCH, "web", 8000, OptionalLong.empty(), InstanceState.STARTING,
                InstanceState.HEALTHY, "probe succeeded"));
        time.timePasses(SystemdNotifier.COALESCE);
    }

    @Test
    void readyOnceEveryServiceHasMinProcessesReadyThenReloadingAndReadyAroundAReloadThenStopping() {
        ActorRef<SystemdNotifier.Command> notifier = spawn(Optional.empty());
        sent.expectMessage("STATUS=0 of 2 services ready, 0 instances ready; waiting for: web 0/2, slow 0/1");

        becomes(pool(2, 0));
        sent.expectMessage("STATUS=1 of 2 services ready, 2 instances ready; waiting for: slow 0/1");
        becomes(pool(2, 1));
        sent.expectMessage("READY=1\nSTATUS=2 of 2 services ready, 3 instances ready");

        notifier.tell(SystemdNotifier.Reloading.INSTANCE);
        sent.expectMessage("RELOADING=1\nMONOTONIC_USEC=1234567\nSTATUS=reloading the configuration");
        notifier.tell(new SystemdNotifier.Reloaded(OpResult.ok("reloaded pool.conf: unchanged: web, slow")));
        sent.expectMessage("READY=1\nSTATUS=reloaded pool.conf: unchanged: web, slow");
        time.timePasses(SystemdNotifier.COALESCE);
        sent.expectMessage("STATUS=2 of 2 services ready, 3 instances ready");

        notifier.tell(SystemdNotifier.Stopping.INSTANCE);
        sent.expectMessage("STOPPING=1\nSTATUS=stopping every instance");
        becomes(pool(0, 0));
        time.expectNoMessageFor(STARTUP, sent);
    }

    @Test
    void readyAfterTheStartupTimeoutWithAStatusThatNamesWhatIsMissing() {
        spawn(Optional.empty());
        sent.expectMessage("STATUS=0 of 2 services ready, 0 instances ready; waiting for: web 0/2, slow 0/1");
        becomes(pool(2, 0));
        sent.expectMessage("STATUS=1 of 2 services ready, 2 instances ready; waiting for: slow 0/1");
        time.expectNoMessageFor(STARTUP.minus(SystemdNotifier.COALESCE).minusMillis(1), sent);
        time.timePasses(Duration.ofMillis(1));
        sent.expectMessage("READY=1\nSTATUS=startup-timeout 60s passed; 1 of 2 services ready, 2 instances ready; "
                + "waiting for: slow 0/1");
        becomes(pool(2, 1));
        sent.expectMessage("STATUS=2 of 2 services ready, 3 instances ready");
    }

    @Test
    void aStatusIsSentOnlyWhenItChanges() {
        spawn(Optional.empty());
        sent.expectMessage("STATUS=0 of 2 services ready, 0 instances ready; waiting for: web 0/2, slow 0/1");
        becomes(pool(0, 0));
        time.expectNoMessageFor(Duration.ofSeconds(1), sent);
    }

    @Test
    void aReloadBeforeReadyIsNotReported() {
        ActorRef<SystemdNotifier.Command> notifier = spawn(Optional.empty());
        sent.expectMessage("STATUS=0 of 2 services ready, 0 instances ready; waiting for: web 0/2, slow 0/1");
        notifier.tell(SystemdNotifier.Reloading.INSTANCE);
        notifier.tell(new SystemdNotifier.Reloaded(OpResult.ok("reloaded")));
        time.expectNoMessageFor(Duration.ofSeconds(1), sent);
    }

    @Test
    void theWatchdogIsPingedEveryHalfTimeoutOnlyWhileThePoolAnswers() {
        becomesReadyWith(Optional.of(Duration.ofSeconds(4)));
        time.timePasses(Duration.ofSeconds(2));
        sent.expectMessage("WATCHDOG=1");
        time.timePasses(Duration.ofSeconds(2));
        sent.expectMessage("WATCHDOG=1");

        status.set(new CompletableFuture<>()); // the actors are stuck: the question is never answered
        time.timePasses(Duration.ofSeconds(2));
        time.expectNoMessageFor(Duration.ofSeconds(3), sent);

        status.set(CompletableFuture.completedFuture(pool(2, 1)));
        time.timePasses(Duration.ofSeconds(1));
        sent.expectMessage("WATCHDOG=1");
    }

    private void becomesReadyWith(Optional<Duration> watchdog) {
        status.set(CompletableFuture.completedFuture(pool(2, 1)));
        spawn(watchdog);
        sent.expectMessage("READY=1\nSTATUS=2 of 2 services ready, 3 instances ready");
    }
}
