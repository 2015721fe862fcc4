package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceStatus;
import io.procpool.api.OpResult;
import io.procpool.ProcessPool;
import io.procpool.api.ServiceState;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What docs/embedding.md promises, checked: start, status, backends, scale, close leaves nothing. */
class EmbeddedPoolTest {

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void theGuidesFirstProgramIsTheOneThatCompilesHere() throws Exception {
        String guide = Files.readString(Path.of("../../docs/embedding.md"));
        int start = guide.indexOf("```java\n") + "```java\n".length();
        String shown = guide.substring(start, guide.indexOf("```\n", start));
        assertEquals(Files.readString(Path.of("src/main/java/example/Workers.java")), shown,
                "docs/embedding.md shows a program that is not examples/embedding's Workers.java");
    }

    @Test
    void startsScalesAndLeavesNoProcessBehind() throws Exception {
        int a = freePort();
        int b = freePort();
        List<Long> pids;
        try (ProcessPool pool = ProcessPool.start(EmbeddedPool.config(a, b))) {
            assertEquals(List.of("127.0.0.1:" + a), EmbeddedPool.awaitReady(pool, "web", 1));

            OpResult tooMany = pool.scale("web", 3).toCompletableFuture().join();
            assertEquals(OpResult.Outcome.INVALID, tooMany.outcome());
            assertTrue(pool.scale("web", 2).toCompletableFuture().join().ok());
            assertEquals(List.of("127.0.0.1:" + a, "127.0.0.1:" + b), EmbeddedPool.awaitReady(pool, "web", 2));

            var web = pool.status().toCompletableFuture().join().services().get(0);
            assertEquals(ServiceState.RUNNING, web.state());
            pids = web.instances().stream().map(i -> i.pid().orElseThrow()).toList();
            assertTrue(pids.stream().allMatch(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)));
            assertTrue(web.instances().stream().allMatch(InstanceStatus::ready));
        }
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " outlived close()");
        }
    }
}
