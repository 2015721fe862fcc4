package io.procpool.internal.linux;

import io.procpool.api.ExitStatus;
import io.procpool.config.Signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pidfd reaper over real children: every exit is seen once, by the watch it belongs to. */
class PidReaperIT {

    /** dup(2), which only this test needs: a second reference to a pidfd, as a forking thread has. */
    interface Dup extends Library {
        Dup C = Native.load("c", Dup.class);

        int dup(int fd);
    }

    @TempDir
    Path dir;

    private PidReaper reaper;
    private PosixSpawn.Template sleeper;
    private final List<Integer> started = new ArrayList<>();

    @BeforeEach
    void setUp() {
        Assumptions.assumeTrue(PosixSpawn.available(), "posix_spawn is not available here");
        reaper = PidReaper.open().orElse(null);
        Assumptions.assumeTrue(reaper != null, "this kernel gives no pidfds");
        sleeper = PosixSpawn.template(Path.of("/bin/sleep"), List.of("sleep", "30"), Map.of("PATH", "/usr/bin:/bin"),
                dir, dir.resolve("sleep.log"), null);
    }

    @AfterEach
    void tearDown() {
        for (int pid : started) {
            LibC.C.kill(pid, Signal.KILL.number());
        }
        if (reaper != null) {
            reaper.close();
        }
    }

    private int spawn() {
        int pid = PosixSpawn.spawn(sleeper);
        started.add(pid);
        return pid;
    }

    private static ExitStatus exitOf(int pid, CompletableFuture<ExitStatus> exit) throws Exception {
        try {
            return exit.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the exit of pid " + pid + " was never reported"
                    + (ProcessTable.stat(pid).isPresent() && !ProcessTable.alive(pid) ? " (a zombie: nobody reaped it)" : " (it was reaped unseen)"), e);
        }
    }

    @Test
    void killedChildrenAreReportedWithTheirSignal() throws Exception {
        List<Integer> pids = new ArrayList<>();
        List<CompletableFuture<ExitStatus>> exits = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int pid = spawn();
            pids.add(pid);
            exits.add(reaper.watch(pid));
        }
        for (int pid : pids) {
            LibC.C.kill(pid, Signal.KILL.number());
        }
        for (int i = 0; i < pids.size(); i++) {
            assertEquals(128 + 9, exitOf(pids.get(i), exits.get(i)).code());
            assertFalse(Files.exists(Path.of("/proc/" + pids.get(i))), "pid " + pids.get(i) + " was reaped");
        }
    }

    /**
     * A child that another thread is starting holds a copy of every descriptor, pidfds included,
     * until its exec. A pidfd the reaper closes in that moment stays alive and so (unless taken
     * out of the epoll set first) stays registered, still ready, under a number the next watch
     * is likely to get. A dup stands in for that copy, for as long as this test needs. Every
     * round must see the second child's exit.
     */
    @Test
    void anExitIsNotLostWhenTheClosedPidfdOfAnEarlierChildLivesOnElsewhere() throws Exception {
        for (int round = 0; round < 30; round++) {
            int first = spawn();
            CompletableFuture<ExitStatus> firstExit = reaper.watch(first);
            int held = Dup.C.dup(pidfdOf(first));
            assertTrue(held >= 0, "dup failed");
            try {
                LibC.C.kill(first, Signal.KILL.number());
                assertEquals(128 + 9, exitOf(first, firstExit).code());
                int second = spawn();
                CompletableFuture<ExitStatus> secondExit = reaper.watch(second);
                LibC.C.kill(second, Signal.KILL.number());
                assertEquals(128 + 9, exitOf(second, secondExit).code(), "round " + round);
            } finally {
                LibC.C.close(held);
            }
        }
    }

    /** The descriptor of this JVM that is a pidfd for {@code pid} (its fdinfo says "Pid: pid"). */
    private static int pidfdOf(int pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fdinfo"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readAllLines(fd).stream().anyMatch(l -> l.matches("Pid:\\s+" + pid))) {
                        return Integer.parseInt(fd.getFileName().toString());
                    }
                } catch (IOException closedMeanwhile) {
                    // another thread's descriptor, gone since the listing
                }
            }
        }
        throw new AssertionError("no pidfd for pid " + pid + " in /proc/self/fdinfo");
    }
}
