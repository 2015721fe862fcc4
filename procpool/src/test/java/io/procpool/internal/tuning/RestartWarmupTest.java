package io.procpool.internal.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.ExitStatus;
import io.procpool.config.Signal;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchSpec;
import io.procpool.spi.ProcessLauncher;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

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
        ActorRef<Void> warmup = testKit.spawn(RestartWarmup.create(7, 0, NO_LAUNCHER, launched::complete), "warmup");
        testKit.createTestProbe().expectTerminated(warmup, Duration.ofSeconds(10));
        // seven processes that crashed and were restarted, and the eighth, stopped at the end
        assertEquals(8L, launched.get(1, TimeUnit.SECONDS));
    }

    @Test
    void itsFirstCrashesAreTheRealLaunchersKilledAtOnceWithTheirOutputOnDevNull() throws Exception {
        WaitingLauncher real = new WaitingLauncher();
        CompletableFuture<Long> launched = new CompletableFuture<>();
        ActorRef<Void> warmup = testKit.spawn(RestartWarmup.create(7, 3, real, launched::complete), "real-warmup");
        testKit.createTestProbe().expectTerminated(warmup, Duration.ofSeconds(10));
        assertEquals(8L, launched.get(1, TimeUnit.SECONDS));
        assertEquals(3, real.specs.size(), "the real launcher's starts");
        for (ChildProcess child : real.started) {
            assertEquals(new ExitStatus(128 + Signal.KILL.number()), child.onExit().toCompletableFuture().getNow(null),
                    "killed: " + child.pid());
        }
        for (LaunchSpec spec : real.specs) {
            assertEquals(Path.of("/dev/null"), spec.logFile());
            assertEquals(List.of("true"), spec.command());
        }
        // one spec object, which a launcher caches by identity, prepares once
        assertSame(real.specs.get(0), real.specs.get(2));
    }

    @Test
    void theWarmupProcpoolStartsHasItsFirstCrashesReal() {
        // What ProcessPool starts: were its real crashes dropped (a count of 0), the exit's side of a
        // real process would run first at the first crash again, and only the benchmark would show it.
        WaitingLauncher real = new WaitingLauncher();
        ActorRef<Void> warmup = testKit.spawn(RestartWarmup.create(real), "default-warmup");
        testKit.createTestProbe().expectTerminated(warmup, Duration.ofSeconds(10));
        assertEquals(RestartWarmup.REAL_CRASHES, real.specs.size());
        assertTrue(RestartWarmup.REAL_CRASHES > 0 && RestartWarmup.REAL_CRASHES < RestartWarmup.CRASHES);
    }

    @Test
    void itsPoolIsNeverSeenInTheLog() {
        // Its pool stopping the instance once it is done was logged at every start ("warmup:
        // stopping 1 instance(s): warm-up done", "warmup: stopped"): a service nobody configured.
        LoggingTestKit.empty().withLoggerName(PoolActor.class.getName()).withOccurrences(0).expect(testKit.system(), () -> {
            ActorRef<Void> warmup = testKit.spawn(RestartWarmup.create(3, 2, new WaitingLauncher(), pid -> { }), "quiet-warmup");
            testKit.createTestProbe().expectTerminated(warmup, Duration.ofSeconds(10));
            return null;
        });
    }

    private static final ProcessLauncher NO_LAUNCHER = spec -> {
        throw new AssertionError("no real start was asked for: " + spec);
    };

    /**
     * A stand-in for the platform's launcher: it records each spec, and its processes run until
     * signalled (as a platform in memory's do).
     */
    private static final class WaitingLauncher implements ProcessLauncher {
        final List<LaunchSpec> specs = new CopyOnWriteArrayList<>();
        final List<ChildProcess> started = new CopyOnWriteArrayList<>();

        @Override
        public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
            specs.add(spec);
            ChildProcess child = new RestartWarmup.InMemoryProcess(1000 + specs.size(), false);
            started.add(child);
            return CompletableFuture.completedFuture(child);
        }
    }

    @Test
    void itsSettingsLeaveNoBackoffAndRoomForEveryRestart() {
        var restart = RestartWarmup.service().restart();
        assertEquals(Duration.ZERO, restart.minBackoff());
        assertEquals(RestartWarmup.CRASHES * 2, restart.maxRestarts());
    }
}
