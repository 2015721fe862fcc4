package io.procpool.internal.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import io.procpool.internal.supervision.PoolActor;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestartWarmupTest {

    // The real scheduler: the warm-up's restarts have no backoff and run without anyone moving time.
    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().build();

    @Test
    void theInstanceCrashesAsOftenAsAskedThenTheWarmupStopsItAndItself() throws Exception {
        CompletableFuture<Long> launched = new CompletableFuture<>();
        ActorRef<Void> warmup = testKit.spawn(RestartWarmup.create(7, launched::complete), "warmup");
        testKit.createTestProbe().expectTerminated(warmup, Duration.ofSeconds(10));
        // seven processes that crashed and were restarted, and the eighth, stopped at the end
        assertEquals(8L, launched.get(1, TimeUnit.SECONDS));
    }

    @Test
    void itsPoolIsNeverSeenInTheLog() {
        // Its pool stopping the instance once it is done was logged at every start ("warmup:
        // stopping 1 instance(s): warm-up done", "warmup: stopped"): a service nobody configured.
        LoggingTestKit.empty().withLoggerName(PoolActor.class.getName()).withOccurrences(0).expect(testKit.system(), () -> {
            ActorRef<Void> warmup = testKit.spawn(RestartWarmup.create(3, pid -> { }), "quiet-warmup");
            testKit.createTestProbe().expectTerminated(warmup, Duration.ofSeconds(10));
            return null;
        });
    }

    @Test
    void itsSettingsLeaveNoBackoffAndRoomForEveryRestart() {
        var restart = RestartWarmup.service().restart();
        assertEquals(Duration.ZERO, restart.minBackoff());
        assertEquals(RestartWarmup.CRASHES * 2, restart.maxRestarts());
    }
}
