package io.procpool.internal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.procpool.config.RunAs;
import io.procpool.spi.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orphan sweep never takes an exit status that is not an orphan's: children that exit at once,
 * started while another thread sweeps without pause, and the JDK's own children; and it does reap
 * what the JDK's children leave behind in the JVM's session, once nobody has claimed it. Makes
 * this test JVM a child subreaper, as {@code procpool run} makes itself.
 */
class OrphanSweepIT {

    @TempDir
    Path dir;

    private LinuxPlatform platform;
    private Thread sweeping;
    private final AtomicBoolean stop = new AtomicBoolean();

    @BeforeEach
    void setUp() {
        platform = LinuxPlatform.open(false, true);
        Orphans orphans = platform.orphans();
        assertNotNull(orphans, "a subreaper adopts");
        sweeping = io.procpool.internal.Threads.daemon(() -> {
            while (!stop.get()) {
                orphans.sweep();
            }
        }, "test-sweeper");
        sweeping.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        stop.set(true);
        sweeping.join(5_000);
        platform.close();
    }

    @Test
    void instancesThatExitAtOnceKeepTheirStatusWhileTheSweepRuns() throws Exception {
        Platform.Prepared exit3 = platform.prepare(Path.of("/bin/sh"), List.of("sh", "-c", "exit 3"), Map.of("PATH", "/usr/bin:/bin"),
                dir, Platform.Output.merged(dir.resolve("out.log")), RunAs.INHERIT);
        List<Platform.Started> started = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            started.add(platform.start(exit3).toCompletableFuture().get(10, TimeUnit.SECONDS));
        }
        for (Platform.Started s : started) {
            assertEquals(3, s.exit().toCompletableFuture().get(10, TimeUnit.SECONDS).code(), "pid " + s.pid());
        }
    }

    @Test
    void descendantsOfAJdkChildKilledAtATimeoutAreReapedOnceUnclaimed() throws Exception {
        // What an exec health probe does at its timeout: SIGKILL to the descendants, then the shell.
        Process probe = new ProcessBuilder("sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!; exec sleep 61").start();
        long background = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(probe.getInputStream()))
                .readLine().trim());
        probe.descendants().forEach(ProcessHandle::destroyForcibly);
        probe.destroyForcibly();
        assertEquals(137, probe.onExit().get(10, TimeUnit.SECONDS).exitValue(), "the JDK keeps its child's status");
        long self = ProcessHandle.current().pid();
        awaitTrue(Duration.ofSeconds(10), "pid " + background + " a zombie child of this JVM",
                () -> ProcessTable.stat(background).map(st -> !st.live() && st.ppid() == self).orElse(false));
        awaitTrue(Duration.ofSeconds(20), "pid " + background + " reaped",
                () -> ProcessTable.stat(background).isEmpty());
    }

    @Test
    void anInstanceIsOverOnlyWhenWhatLeftItsGroupIsGoneToo() throws Exception {
        // The leader exits at once; its child left the group (as GNU timeout does), stays in the
        // session, and is adopted by this JVM. Its restart must wait for it: the check that
        // answers without a /proc pass must not take the empty group for the end.
        Path pidFile = dir.resolve("child.pid");
        Platform.Prepared leaves = platform.prepare(Path.of("/bin/sh"), List.of("sh", "-c",
                        "python3 -c 'import os; os.setpgid(0, 0); open(\"" + pidFile + "\", \"w\").write(str(os.getpid())); "
                                + "os.execvp(\"sleep\", [\"sleep\", \"60\"])' & while [ ! -s " + pidFile + " ]; do sleep 0.01; done"),
                Map.of("PATH", "/usr/bin:/bin"), dir, Platform.Output.merged(dir.resolve("out.log")), RunAs.INHERIT);
        Platform.Started started = platform.start(leaves).toCompletableFuture().get(10, TimeUnit.SECONDS);
        started.exit().toCompletableFuture().get(10, TimeUnit.SECONDS);
        long seen = System.nanoTime();
        long child = Long.parseLong(java.nio.file.Files.readString(pidFile).trim());
        try {
            assertEquals(started.pid(), ProcessTable.stat(child).orElseThrow().session(), "in the instance's session");
            org.junit.jupiter.api.Assertions.assertTrue(platform.groupAliveAfterExit(started.pid(), seen),
                    "its group is empty, but a process of its session lives");
            org.junit.jupiter.api.Assertions.assertTrue(platform.groupAlive(started.pid()));
            // Where the answer without a /proc pass looks: the adopted child is on the first thread's list.
            org.junit.jupiter.api.Assertions.assertTrue(ProcessTable.childrenOfFirstThread().contains(child),
                    "adopted onto the first thread: " + ProcessTable.childrenOfFirstThread());
            org.junit.jupiter.api.Assertions.assertFalse(platform.orphans().adoptedNone());
        } finally {
            LibC.C.kill((int) child, 9);
        }
        awaitTrue(Duration.ofSeconds(10), "the instance over once its child is gone",
                () -> !platform.groupAliveAfterExit(started.pid(), seen));
        // Reaped by the sweep: nothing adopted is left, so exits are answered without a pass again.
        awaitTrue(Duration.ofSeconds(10), "nothing adopted once the child is reaped", () -> platform.orphans().adoptedNone());

        // A leader alone: over as soon as its exit is seen.
        Platform.Prepared alone = platform.prepare(Path.of("/bin/sh"), List.of("sh", "-c", "exit 0"), Map.of("PATH", "/usr/bin:/bin"),
                dir, Platform.Output.merged(dir.resolve("out.log")), RunAs.INHERIT);
        Platform.Started s = platform.start(alone).toCompletableFuture().get(10, TimeUnit.SECONDS);
        s.exit().toCompletableFuture().get(10, TimeUnit.SECONDS);
        // ... and answered without reading /proc: the pass would give the same answer, only later.
        long passes = ProcessTable.passesTaken();
        org.junit.jupiter.api.Assertions.assertFalse(platform.groupAliveAfterExit(s.pid(), System.nanoTime()));
        org.junit.jupiter.api.Assertions.assertTrue(platform.groupKnownGoneAfterExit(s.pid(), System.nanoTime()),
                "a poll knows it gone at once");
        assertEquals(passes, ProcessTable.passesTaken(), "no /proc pass for a leader that left nothing behind");
    }

    private static void awaitTrue(Duration deadline, String what, java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("not within " + deadline.toMillis() + " ms: " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(25));
        }
    }

    @Test
    void aChildAnotherLivingThreadStartedIsLeftToItsStarter() throws Exception {
        // Started by this thread (not the JVM's first, where the kernel puts the adopted), outside
        // procpool's launcher, in a session of its own, as an embedding application's native
        // launcher might: its exit is its starter's. A sweep that read every thread's list took it.
        int pid = PosixSpawn.spawn(PosixSpawn.template(Path.of("/bin/sh"), List.of("sh", "-c", "exit 7"),
                Map.of("PATH", "/usr/bin:/bin"), dir, dir.resolve("out.log"), null));
        // Exited (a zombie), or already reaped by someone else: the waitpid below tells which.
        awaitTrue(Duration.ofSeconds(10), "pid " + pid + " exited", () -> ProcessTable.stat(pid).map(st -> !st.live()).orElse(true));
        platform.orphans().sweep();
        platform.orphans().sweep();
        int[] status = new int[1];
        assertEquals(pid, LibC.C.waitpid(pid, status, 0), "still there for its starter to collect (-1: a sweep reaped it)");
        assertEquals(7, (status[0] >> 8) & 0xff, "with its own exit status");
    }

    @Test
    void theJdksChildrenAreLeftToTheJdk() throws Exception {
        for (int i = 0; i < 50; i++) {
            Process p = new ProcessBuilder("sh", "-c", "exit 5").start();
            assertEquals(5, p.onExit().get(10, TimeUnit.SECONDS).exitValue(), "pid " + p.pid());
        }
    }
}
