package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.api.OpResult;
import io.procpool.ProcessPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An embedded pool with a base dir of its own: relative paths mean the same at a reload as at the start. */
class EmbeddedReloadIT {

    @TempDir
    Path dir;

    @Test
    void aReloadResolvesRelativePathsAgainstTheBaseDirTheBuilderWasGiven() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        Config config = ConfigFactory.parseString("""
                pool {
                  admin.enabled = false
                  state-dir = "state"
                  services.w { command = [sleep, "30"], ports = [21890], working-dir = "work", health-check.type = none }
                }
                """);
        try (ProcessPool pool = ProcessPool.builder(config).baseDir(dir).start()) {
            long pid = Await.value(Duration.ofSeconds(10), "an instance running", () -> pool.status().toCompletableFuture()
                    .join().services().get(0).instances().get(0).pid().stream().boxed().findFirst().orElse(null));
            OpResult reloaded = pool.reload(config).toCompletableFuture().join();
            assertTrue(reloaded.ok(), reloaded.message() + " " + reloaded.details());
            assertEquals(pid, pool.status().toCompletableFuture().join().services().get(0).instances().get(0).pid().getAsLong(),
                    "nothing changed, so nothing was restarted");
            assertTrue(Files.isDirectory(dir.resolve("state")));
        }
    }
}
