package io.procpool.internal.process;

import io.procpool.api.ExitStatus;
import io.procpool.config.Signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OsChildProcessTest {

    @TempDir
    Path dir;

    /**
     * Under ProcessBuilder a child leads its own group only once setsid has run; a signal sent
     * before that must still reach the child (a stop right after a start), not vanish with ESRCH.
     * A plain ProcessBuilder child, still in the test JVM's group, stands in for that moment.
     */
    @Test
    void aSignalReachesAChildThatDoesNotLeadAGroupYet() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        ChildRegistry registry = new ChildRegistry(new StateFile(dir), Duration.ZERO, "r1");
        try {
            assertFalse(Posix.groupExists(sleeper.pid()), "the child leads no group");
            OsChildProcess child = OsChildProcess.of(sleeper, ProcessTable.startInstant(sleeper.pid()), registry);
            child.signal(Signal.TERM);
            ExitStatus exit = child.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals(128 + 15, exit.code(), exit.describe());
        } finally {
            sleeper.destroyForcibly();
            registry.close();
        }
    }
}
