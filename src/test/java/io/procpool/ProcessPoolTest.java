package io.procpool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.procpool.api.InstanceState;
import io.procpool.internal.process.FakePlatform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade's own life: another platform gets the state dir too, and a close from two threads closes once. */
class ProcessPoolTest {

    @TempDir
    Path dir;

    private ProcessPool start(FakePlatform platform) throws Exception {
        return ProcessPool.builder(ConfigFactory.parseString("""
                        pool {
                          admin.enabled = false
                          state-dir = state
                          services.web { command = "true", ports = [7401], health-check.type = none }
                        }"""))
                .baseDir(dir).platform(dieWithManager -> platform).start();
    }

    @Test
    void anotherPlatformGetsTheStateDirAndTheStateFileLikeLinux() throws Exception {
        FakePlatform platform = new FakePlatform();
        try (ProcessPool pool = start(platform)) {
            long pid = awaitRunning(pool);
            assertTrue(Files.exists(dir.resolve("state/procpool.lock")));
            // In the journal from its start, and in the snapshot from the next write (which may have
            // emptied the journal already: it follows a start within 20 ms).
            String journal = Files.readString(dir.resolve("state/procpool.state.journal"));
            Path snapshot = dir.resolve("state/procpool.state.json");
            String snapshotText = Files.exists(snapshot) ? Files.readString(snapshot) : "";
            assertTrue(journal.contains("\"pid\":" + pid) || snapshotText.matches("(?s).*\"pid\"\\s*:\\s*" + pid + "\\b.*"),
                    "the child is on record, as on Linux: " + journal + " / " + snapshotText);
        }
        assertEquals(1, platform.closes.get());
    }

    @Test
    void closingFromTwoThreadsAtOnceClosesOnceAndBothSeeTheSameEnd() throws Exception {
        FakePlatform platform = new FakePlatform();
        ProcessPool pool = start(platform);
        awaitRunning(pool);
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<CompletionStage<?>>> closers = List.of(
                CompletableFuture.supplyAsync(() -> closeWhen(go, pool)), CompletableFuture.supplyAsync(() -> closeWhen(go, pool)));
        go.countDown();
        CompletionStage<?> a = closers.get(0).get(10, TimeUnit.SECONDS);
        CompletionStage<?> b = closers.get(1).get(10, TimeUnit.SECONDS);
        assertSame(a, b);
        a.toCompletableFuture().get(30, TimeUnit.SECONDS);
        pool.close(); // and once more, as the command line does after its signal's closeAsync
        assertEquals(1, platform.closes.get());
    }

    private static CompletionStage<?> closeWhen(CountDownLatch go, ProcessPool pool) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return pool.closeAsync();
    }

    private static long awaitRunning(ProcessPool pool) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            var instances = pool.status().toCompletableFuture().get().services().get(0).instances();
            if (!instances.isEmpty() && instances.get(0).state() == InstanceState.RUNNING) {
                return instances.get(0).pid().getAsLong();
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("web never ran");
    }
}
