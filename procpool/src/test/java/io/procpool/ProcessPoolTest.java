package io.procpool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
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

/**
 * The facade's own life: another platform gets the state dir too, a close from two threads closes
 * once, and its own actor system logs through SLF4J while the library's defaults leave Pekko alone.
 */
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
            // On record in the journal at once, and in the snapshot once it is written (which
            // empties the journal): either file, depending on how far the snapshot has come.
            String record = "\"pid\":" + pid;
            Path journal = dir.resolve("state/procpool.state.journal");
            Path snapshot = dir.resolve("state/procpool.state.json");
            assertTrue((Files.exists(journal) && Files.readString(journal).contains(record))
                    || (Files.exists(snapshot) && Files.readString(snapshot).replace(" ", "").contains(record)),
                    "the child is on record, as on Linux");
        }
        assertEquals(1, platform.closes.get());
    }

    @Test
    void itsOwnActorSystemLogsThroughSlf4jWhileABareLoadKeepsPekkosDefaults() throws Exception {
        try (ProcessPool pool = start(new FakePlatform())) {
            Config own = pool.actorSystem().settings().config();
            assertEquals(List.of("org.apache.pekko.event.slf4j.Slf4jLogger"), own.getStringList("pekko.loggers"));
            assertEquals("org.apache.pekko.event.slf4j.Slf4jLoggingFilter", own.getString("pekko.logging-filter"));
            assertEquals("OFF", own.getString("pekko.stdout-loglevel"));
            assertEquals(0, own.getInt("pekko.log-dead-letters"));
            assertFalse(own.getBoolean("pekko.coordinated-shutdown.exit-jvm"));
        }
        // What an application that embeds procpool gets in its own actor systems: Pekko's defaults, not procpool's.
        Config bare = ConfigFactory.load();
        assertEquals(List.of("org.apache.pekko.event.Logging$DefaultLogger"), bare.getStringList("pekko.loggers"));
        assertEquals("org.apache.pekko.event.DefaultLoggingFilter", bare.getString("pekko.logging-filter"));
        assertEquals("WARNING", bare.getString("pekko.stdout-loglevel"));
        assertEquals(10, bare.getInt("pekko.log-dead-letters"));
    }

    @Test
    void whatTheApplicationSetsForPekkoWinsOverProcpoolsSettingsForItsOwnSystem() throws Exception {
        try (ProcessPool pool = ProcessPool.builder(ConfigFactory.parseString("""
                        pekko.log-dead-letters = 5
                        procpool {
                          admin.enabled = false
                          state-dir = state
                          services.web { command = "true", ports = [7402], health-check.type = none }
                        }""")).baseDir(dir).platform(dieWithManager -> new FakePlatform()).start()) {
            Config own = pool.actorSystem().settings().config();
            assertEquals(5, own.getInt("pekko.log-dead-letters"));
            assertEquals(List.of("org.apache.pekko.event.slf4j.Slf4jLogger"), own.getStringList("pekko.loggers"));
        }
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

    @Test
    void theDashboardsHistoryHasEveryEventOfTheStartThoughTheAdminApiBindsAfterTheFirstLaunches() throws Exception {
        FakePlatform platform = new FakePlatform();
        try (ProcessPool pool = ProcessPool.builder(ConfigFactory.parseString("""
                        pool {
                          admin { host = "127.0.0.1", port = 0 }
                          state-dir = state
                          services.web { command = "true", ports = [7401, 7402, 7403], health-check.type = none }
                        }""")).baseDir(dir).platform(dieWithManager -> platform).start()) {
            var history = java.net.URI.create("http://127.0.0.1:" + pool.adminAddress().orElseThrow().getPort() + "/history");
            var http = java.net.http.HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            java.util.Set<String> seen = java.util.Set.of();
            java.util.Set<String> wanted = java.util.Set.of("7401 STARTING", "7401 RUNNING", "7402 STARTING", "7402 RUNNING",
                    "7403 STARTING", "7403 RUNNING");
            while (!seen.containsAll(wanted) && System.nanoTime() < deadline) {
                String body = http.send(java.net.http.HttpRequest.newBuilder(history).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                seen = new java.util.HashSet<>();
                for (var e : new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("events")) {
                    seen.add(e.path("port").asInt() + " " + e.path("to").asText());
                }
                Thread.onSpinWait();
            }
            assertTrue(seen.containsAll(wanted), "the start's transitions, heard before the API was bound: " + seen);
        }
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
