package io.procpool.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.ExitStatus;
import io.procpool.config.LogSettings;
import io.procpool.config.Signal;
import io.procpool.internal.linux.LinuxPlatform;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchSpec;
import io.procpool.spi.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A child on a platform, and the launcher that records it: queries change nothing, the record goes with the group. */
class PlatformChildTest {

    @TempDir
    Path dir;

    private static LaunchSpec spec(Path dir, int port) {
        return new LaunchSpec("svc", port, List.of("sh", "-c", "true"), dir, Map.of(), dir.resolve("logs/svc-" + port + ".log"),
                new LogSettings(1 << 20, 1));
    }

    /**
     * Under ProcessBuilder a child leads its own group only once setsid has run; a signal sent
     * before that must still reach the child (a stop right after a start), not vanish with ESRCH.
     * A plain ProcessBuilder child, still in the test JVM's group, stands in for that moment.
     */
    @Test
    void aSignalReachesAChildThatDoesNotLeadAGroupYet() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        LinuxPlatform linux = LinuxPlatform.open(false);
        ChildRegistry registry = new ChildRegistry(linux, new StateFile(dir), Duration.ZERO, "r1");
        try {
            assertFalse(linux.groupAlive(sleeper.pid()), "the child leads no group");
            ChildProcess child = new PlatformChild(linux, new Platform.Started(sleeper.pid(), java.util.Optional.empty(),
                    sleeper.onExit().thenApply(p -> new ExitStatus(p.exitValue()))), registry);
            child.signal(Signal.TERM);
            ExitStatus exit = child.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals(128 + 15, exit.code(), exit.describe());
        } finally {
            sleeper.destroyForcibly();
            registry.close();
            linux.close();
        }
    }

    @Test
    void askingWhetherTheGroupIsAliveChangesNoRecordAndTheRecordGoesOnlyWithTheWholeGroup() throws Exception {
        FakePlatform platform = new FakePlatform();
        try (PlatformLauncher launcher = PlatformLauncher.open(dir.resolve("state"), platform, Duration.ofSeconds(1),
                Duration.ZERO)) {
            ChildProcess child = launcher.launch(spec(dir, 7001)).toCompletableFuture().get();
            assertEquals(1, launcher.liveChildren());
            platform.aliveGroups.remove(child.pid()); // the group is gone, the exit not yet seen
            assertFalse(child.groupAlive());
            assertEquals(1, launcher.liveChildren(), "a query forgets nothing");

            ChildProcess other = launcher.launch(spec(dir, 7002)).toCompletableFuture().get();
            platform.exit(other.pid(), 1, true); // its leader exits, a member of its group lives on
            assertEquals(2, launcher.liveChildren(), "kept while the group has a member");
            platform.aliveGroups.remove(other.pid());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (launcher.liveChildren() > 1 && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // the registry looks again every 50 ms on its own thread
            }
            assertEquals(1, launcher.liveChildren(), "forgotten once the group is gone");

            platform.exit(child.pid(), 0, false);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (launcher.liveChildren() > 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // looked at on the registry's thread, not the exit's
            }
            assertEquals(0, launcher.liveChildren());
        }
    }

    /**
     * A manager exits once its instances have seen their groups end, and then finds whether any
     * child is left from its registry: what an instance's poll found must be in the registry at
     * once, not only after the registry's own look (a poll of its own, which may be behind).
     */
    @Test
    void whatAChildsOwnerFindsGoneTheRegistryForgetsAtOnce() throws Exception {
        FakePlatform platform = new FakePlatform();
        platform.registryBlind = true;
        try (PlatformLauncher launcher = PlatformLauncher.open(dir.resolve("state"), platform, Duration.ofSeconds(1),
                Duration.ZERO)) {
            ChildProcess child = launcher.launch(spec(dir, 7004)).toCompletableFuture().get();
            platform.exit(child.pid(), 0, true);
            child.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertFalse(child.groupKnownGone(), "a member of its group lives on");
            assertEquals(1, launcher.liveChildren());
            platform.aliveGroups.remove(child.pid());
            assertTrue(child.groupKnownGone());
            assertEquals(0, launcher.liveChildren(), "forgotten when its owner saw the group end");
        }
    }

    @Test
    void closingFromTwoThreadsAtOnceClosesThePlatformOnce() throws Exception {
        FakePlatform platform = new FakePlatform();
        PlatformLauncher launcher = PlatformLauncher.open(dir.resolve("state"), platform, Duration.ofSeconds(1), Duration.ZERO);
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Void>> closers = List.of(
                CompletableFuture.runAsync(() -> awaitThenClose(go, launcher)),
                CompletableFuture.runAsync(() -> awaitThenClose(go, launcher)));
        go.countDown();
        CompletableFuture.allOf(closers.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertEquals(1, platform.closes.get());
        assertTrue(launcher.launch(spec(dir, 7003)).toCompletableFuture().isCompletedExceptionally(), "closed: no more starts");
    }

    private static void awaitThenClose(CountDownLatch go, PlatformLauncher launcher) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        launcher.close();
    }
}
