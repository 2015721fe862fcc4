package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.LogSettings;
import io.procpool.config.RunAs;
import io.procpool.spi.ChildProcess;
import io.procpool.api.ExitStatus;
import io.procpool.spi.LaunchException;
import io.procpool.spi.LaunchSpec;
import io.procpool.internal.process.OrphanReaper;
import io.procpool.internal.linux.LinuxPlatform;
import io.procpool.internal.process.PlatformLauncher;
import io.procpool.config.Signal;
import io.procpool.internal.process.StateFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real launcher: process groups, signals to whole trees, output capture, the state file.
 * Runs on posix_spawn and pidfds (where the machine has them, as this one does);
 * {@link PlatformLauncherProcessBuilderIT} runs the same on the JDK's ProcessBuilder.
 */
class PlatformLauncherIT {

    /** The {@code procpool.launcher} system property the launcher is opened with (null: the default). */
    String mechanismProperty() {
        return null;
    }

    /**
     * posix_spawn resets the child's signal mask; the JDK does not, and a child started through
     * it has SIGQUIT blocked (the JVM's threads block it), so {@code stop.signal = QUIT} would not reach it.
     */
    boolean clearsSignalMask() {
        return true;
    }

    /** What {@link PlatformLauncher#mechanism()} must say. */
    String expectedMechanism() {
        return "posix_spawn + pidfd";
    }

    @TempDir
    Path dir;

    private PlatformLauncher launcher;
    private final List<Long> started = new java.util.ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        launcher = openLauncher(dir.resolve("state"), false);
        assertEquals(expectedMechanism(), launcher.mechanism());
    }

    /** A launcher on {@link #mechanismProperty()}'s way of starting children, over {@code stateDir}. */
    private PlatformLauncher openLauncher(Path stateDir, boolean dieWithManager) throws Exception {
        synchronized (PlatformLauncherIT.class) {
            String before = System.getProperty("procpool.launcher");
            try {
                if (mechanismProperty() != null) {
                    System.setProperty("procpool.launcher", mechanismProperty());
                }
                return PlatformLauncher.open(stateDir, LinuxPlatform.open(dieWithManager), Duration.ofSeconds(1), Duration.ofSeconds(1));
            } finally {
                if (before == null) {
                    System.clearProperty("procpool.launcher");
                } else {
                    System.setProperty("procpool.launcher", before);
                }
            }
        }
    }

    @AfterEach
    void close() throws Exception {
        for (long pid : started) {
            new ProcessBuilder("kill", "-KILL", "--", "-" + pid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
        launcher.close();
    }

    private ChildProcess launch(List<String> command) {
        ChildProcess p = launcher.launch(new LaunchSpec("svc", 1, command, dir, Map.of("GREETING", "hello"),
                dir.resolve("state/logs/svc-1.log"), new LogSettings(1 << 20, 1))).toCompletableFuture().join();
        started.add(p.pid());
        return p;
    }

    @Test
    void aChildLeadsItsOwnProcessGroupAndSessionWithOutputCaptured() throws Exception {
        ChildProcess p = launch(List.of("sh", "-c", "echo \"$GREETING from $$\"; echo oops >&2; exec sleep 30"));
        // Under ProcessBuilder the child reaches its own session a moment after it exists (setsid
        // runs in it); posix_spawn puts it there before it runs. Either way it gets there.
        String stat = Await.value(Duration.ofSeconds(5), "the child leading its own process group", () -> {
            try {
                String text = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
                return text.substring(text.lastIndexOf(')') + 2).split(" ")[2].equals(Long.toString(p.pid())) ? text : null;
            } catch (java.io.IOException e) {
                return null;
            }
        });
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertEquals(Long.toString(p.pid()), fields[2], "process group id");
        assertEquals(Long.toString(p.pid()), fields[3], "session id");
        Path log = dir.resolve("state/logs/svc-1.log");
        Await.until(Duration.ofSeconds(5), "stdout and stderr captured", () -> read(log).contains("\noops\n"));
        assertTrue(read(log).contains("hello from " + p.pid()), read(log));
        assertTrue(read(log).contains("----- procpool"), read(log));
        p.signal(Signal.TERM);
        assertEquals(128 + 15, p.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS).code());
    }

    @Test
    void aChildGetsNoDescriptorOfTheManagerAndAClearSignalMask() throws Exception {
        // ls lists its own descriptors: stdin, stdout, stderr and the directory it reads.
        ChildProcess lister = launch(List.of("sh", "-c", "exec ls /proc/self/fd"));
        assertEquals(0, lister.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS).code());
        Path log = dir.resolve("state/logs/svc-1.log");
        List<String> lines = Files.readAllLines(log);
        assertEquals(List.of("0", "1", "2", "3"), lines.subList(lines.size() - 4, lines.size()), String.join("\n", lines));

        ChildProcess sleeper = launch(List.of("sleep", "30"));
        String status = Await.value(Duration.ofSeconds(5), "/proc status", () -> {
            try {
                return Files.readString(Path.of("/proc/" + sleeper.pid() + "/status"));
            } catch (java.io.IOException e) {
                return null;
            }
        });
        if (clearsSignalMask()) {
            assertTrue(status.contains("SigBlk:\t0000000000000000"), status);
        }
        sleeper.signal(Signal.KILL);
        sleeper.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void anExitCodeAndAKillingSignalAreReportedApart() throws Exception {
        assertEquals(3, launch(List.of("sh", "-c", "exit 3")).onExit().toCompletableFuture().get(5, TimeUnit.SECONDS).code());
        ChildProcess killed = launch(List.of("sh", "-c", "kill -SEGV $$"));
        ExitStatus exit = killed.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(11, exit.signal().getAsInt(), exit.describe());
    }

    @Test
    void aSignalReachesTheWholeTree() throws Exception {
        Path gc = dir.resolve("gc.pid");
        ChildProcess p = launch(List.of("sh", "-c", "sleep 30 & echo $! > " + gc + "; wait"));
        long grandchild = Await.value(Duration.ofSeconds(5), "grandchild", () -> {
            try {
                return Files.exists(gc) && !Files.readString(gc).isBlank() ? Long.parseLong(Files.readString(gc).trim()) : null;
            } catch (java.io.IOException e) {
                return null;
            }
        });
        assertTrue(Manager.alive(grandchild));
        p.signal(Signal.KILL);
        ExitStatus exit = p.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(9, exit.signal().getAsInt());
        Await.until(Duration.ofSeconds(5), "grandchild gone", () -> !Manager.alive(grandchild));
        Await.until(Duration.ofSeconds(5), "group gone", () -> !p.groupAlive());
    }

    @Test
    void aFastWriterIsRotatedAndItsLogsStayNearTheirCap() throws Exception {
        Path log = dir.resolve("state/logs/chatty-2.log");
        ChildProcess p = launcher.launch(new LaunchSpec("chatty", 2,
                // Three bursts of ~80 KB, further apart than the rotator's rounds: three rotations.
                List.of("sh", "-c", "for b in 1 2 3; do i=0; while [ $i -lt 3000 ]; do echo \"line $i of burst $b\"; i=$((i+1)); done; sleep 0.4; done; "
                        + "echo finished; exec sleep 30"),
                dir, Map.of(), log, new LogSettings(4096, 2))).toCompletableFuture().join();
        started.add(p.pid());
        Await.until(Duration.ofSeconds(10), "rotated twice", () -> Files.exists(Path.of(log + ".2")));
        Await.until(Duration.ofSeconds(10), "the line after the burst", () -> read(log).contains("finished"));
        assertTrue(Files.size(Path.of(log + ".1")) <= 4096, "rotated files hold at most max-size");
        assertTrue(Files.size(Path.of(log + ".2")) <= 4096, "rotated files hold at most max-size");
        assertFalse(Files.exists(Path.of(log + ".3")), "keep = 2");
        Await.until(Duration.ofSeconds(5), "the live file back under its cap", () -> {
            try {
                return Files.size(log) <= 4096;
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    @Test
    void withChildrenDyingWithTheManagerTheDeathSignalsProgramExecsTheCommandInItsPlace() throws Exception {
        PlatformLauncher dying = openLauncher(dir.resolve("dying"), true);
        try {
            assertEquals(expectedMechanism() + " + procpool-pdeathsig", dying.mechanism());
            Path log = dir.resolve("dying/logs/svc-1.log");
            ChildProcess p = dying.launch(new LaunchSpec("svc", 1, List.of("sh", "-c", "echo \"$GREETING\" from $$; exec sleep 30"),
                    dir, Map.of("GREETING", "hello"), log, new LogSettings(1 << 20, 1))).toCompletableFuture().join();
            started.add(p.pid());
            // The same pid all along: procpool-pdeathsig, then sh, then sleep.
            Await.until(Duration.ofSeconds(5), "the command itself running", () -> cmdline(p.pid()).matches("sleep 30"));
            Await.until(Duration.ofSeconds(5), "its output in the log", () -> {
                try {
                    return Files.readString(log).contains("hello from " + p.pid());
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            p.signal(Signal.TERM);
            p.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } finally {
            dying.close();
        }
    }

    @Test
    void aChildRunsAsItsServicesUserGroupAndUmask() throws Exception {
        Assumptions.assumeTrue(statusField(ProcessHandle.current().pid(), "Uid").startsWith("0\t"), "needs root");
        ChildProcess p = launcher.launch(new LaunchSpec("svc", 1, List.of("sleep", "30"), dir, Map.of(),
                dir.resolve("state/logs/svc-1.log"), new LogSettings(1 << 20, 1),
                new RunAs(Optional.of("nobody"), Optional.empty(), OptionalInt.of(027)))).toCompletableFuture().join();
        started.add(p.pid());
        // setpriv, then sh for the umask, exec the command in turn: the same pid all along.
        Await.until(Duration.ofSeconds(5), "the command itself running", () -> cmdline(p.pid()).matches("/\\S*/sleep 30"));
        String nobodyGroup = new String(new ProcessBuilder("id", "-g", "nobody").start().getInputStream().readAllBytes()).trim();
        assertEquals("65534\t65534\t65534\t65534", statusField(p.pid(), "Uid"), "real, effective, saved and fs uid");
        assertEquals(String.join("\t", nobodyGroup, nobodyGroup, nobodyGroup, nobodyGroup), statusField(p.pid(), "Gid"));
        assertEquals("0027", statusField(p.pid(), "Umask"));
        assertFalse((" " + statusField(p.pid(), "Groups") + " ").contains(" 0 "), "root's group is dropped");
        p.signal(Signal.TERM);
        p.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aGroupAloneSwitchesOnlyTheGroup() throws Exception {
        Assumptions.assumeTrue(statusField(ProcessHandle.current().pid(), "Uid").startsWith("0\t"), "needs root");
        ChildProcess p = launcher.launch(new LaunchSpec("svc", 1, List.of("sleep", "30"), dir, Map.of(),
                dir.resolve("state/logs/svc-1.log"), new LogSettings(1 << 20, 1),
                new RunAs(Optional.empty(), Optional.of("65534"), OptionalInt.empty()))).toCompletableFuture().join();
        started.add(p.pid());
        Await.until(Duration.ofSeconds(5), "the command itself running", () -> cmdline(p.pid()).matches("/\\S*/sleep 30"));
        assertTrue(statusField(p.pid(), "Uid").startsWith("0\t"));
        assertEquals("65534\t65534\t65534\t65534", statusField(p.pid(), "Gid"));
        assertEquals("", statusField(p.pid(), "Groups"));
        p.signal(Signal.TERM);
        p.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void separateStderrHasAFileOfItsOwnThatIsRotatedToo() throws Exception {
        Path log = dir.resolve("state/logs/split-3.log");
        Path err = dir.resolve("state/logs/split-3.err.log");
        ChildProcess p = launcher.launch(new LaunchSpec("split", 3,
                List.of("sh", "-c", "echo out; echo err >&2; i=0; while [ $i -lt 3000 ]; do echo \"error line $i\" >&2; i=$((i+1)); done; "
                        + "echo done >&2; exec sleep 30"),
                dir, Map.of(), log, new LogSettings(4096, 1, LogSettings.Stderr.SEPARATE, false))).toCompletableFuture().join();
        started.add(p.pid());
        Await.until(Duration.ofSeconds(10), "stderr's last line", () -> read(err).contains("done"));
        Await.until(Duration.ofSeconds(10), "stderr's file rotated", () -> Files.exists(Path.of(err + ".1")));
        assertTrue(read(log).contains("\nout\n"), read(log));
        assertFalse(read(log).lines().anyMatch(l -> l.equals("err")), read(log));
        assertTrue(read(log).contains("----- procpool"), "the marker in the log");
        assertTrue(Files.size(Path.of(err + ".1")) <= 4096, "rotated at max-size");
        p.signal(Signal.TERM);
        p.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void timestampedOutputHasTheTimeAtTheStartOfEveryLine() throws Exception {
        Path log = dir.resolve("state/logs/stamped-4.log");
        Path err = dir.resolve("state/logs/stamped-4.err.log");
        ChildProcess p = launcher.launch(new LaunchSpec("stamped", 4,
                List.of("sh", "-c", "echo one; echo two >&2; printf three; sleep 0.2; echo ' four'; echo end; exec sleep 30"),
                dir, Map.of(), log, new LogSettings(1 << 20, 1, LogSettings.Stderr.SEPARATE, true))).toCompletableFuture().join();
        started.add(p.pid());
        Await.until(Duration.ofSeconds(10), "the last line", () -> read(log).contains("end\n"));
        String stamp = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ";
        List<String> out = read(log).lines().filter(l -> !l.startsWith("----- procpool")).toList();
        assertEquals(3, out.size(), read(log));
        assertTrue(out.get(0).matches(stamp + "one"), out.get(0));
        assertTrue(out.get(1).matches(stamp + "three four"), "a line written in two pieces has one time: " + out.get(1));
        assertTrue(out.get(2).matches(stamp + "end"), out.get(2));
        Await.until(Duration.ofSeconds(5), "stderr's line", () -> read(err).contains("two"));
        assertTrue(read(err).lines().filter(l -> !l.startsWith("----- procpool")).allMatch(l -> l.matches(stamp + "two")), read(err));
        p.signal(Signal.TERM);
        p.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** A field of {@code /proc/PID/status}, its value trimmed ("" when missing). */
    private static String statusField(long pid, String name) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(name + ":"))
                    .map(l -> l.substring(name.length() + 1).trim()).findFirst().orElse("");
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ').trim();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void aMissingProgramFailsTheLaunchWithCommandNotFound() {
        CompletionException e = assertThrows(CompletionException.class,
                () -> launcher.launch(new LaunchSpec("svc", 1, List.of("no-such-runtime-xyz", "x"), dir, Map.of(),
                        dir.resolve("state/logs/svc-1.log"), new LogSettings(1 << 20, 1))).toCompletableFuture().join());
        assertTrue(e.getCause() instanceof LaunchException le && le.permanent(), e.toString());
        assertEquals("command not found: no-such-runtime-xyz", e.getCause().getMessage());
    }

    @Test
    void theStateFileRecordsLiveChildrenAndForgetsThemOnceTheirGroupIsGone() throws Exception {
        ChildProcess p = launch(List.of("sleep", "30"));
        StateFile state = new StateFile(dir.resolve("state"));
        // On record by the time its start has returned (in the journal: the snapshot comes later).
        StateFile.Entry entry = state.read().stream().filter(e -> e.pid() == p.pid()).findFirst().orElseThrow();
        // The start time as the JDK computes it, which a state file of an earlier procpool holds.
        assertEquals(ProcessHandle.of(p.pid()).orElseThrow().info().startInstant().orElseThrow(), entry.startInstant());
        assertEquals(List.of("sleep", "30"), entry.command());
        p.signal(Signal.TERM);
        Await.until(Duration.ofSeconds(5), "forgotten", () -> {
            try {
                return state.read().isEmpty();
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    @Test
    void aChildThatExitsAtOnceIsForgotten() throws Exception {
        // Reaped within microseconds of its start: its removal must not come before its record,
        // or a crash loop leaves entries that a shutdown waits for in vain.
        for (int i = 0; i < 50; i++) {
            ChildProcess p = launch(List.of("true"));
            assertEquals(0, p.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS).code());
        }
        Await.until(Duration.ofSeconds(5), "no live children", () -> launcher.liveChildren() == 0);
    }

    @Test
    void aRemovedLogDirIsMadeAgainAtTheNextStart() throws Exception {
        // The same spec twice, as an instance restarts: what the launcher prepared for it is reused.
        LaunchSpec spec = new LaunchSpec("svc", 1, List.of("sh", "-c", "echo back"), dir, Map.of(),
                dir.resolve("state/logs/svc-1.log"), new LogSettings(1 << 20, 1));
        assertEquals(0, launcher.launch(spec).toCompletableFuture().join().onExit().toCompletableFuture().get(5, TimeUnit.SECONDS).code());
        Path logs = dir.resolve("state/logs");
        try (var files = Files.walk(logs)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        ChildProcess again = launcher.launch(spec).toCompletableFuture().join();
        started.add(again.pid());
        assertEquals(0, again.onExit().toCompletableFuture().get(5, TimeUnit.SECONDS).code());
        assertTrue(read(logs.resolve("svc-1.log")).contains("back"), read(logs.resolve("svc-1.log")));
    }

    @Test
    void aLogDirMadeAgainIsStillRotated() throws Exception {
        Path logs = dir.resolve("state/logs");
        try (var files = Files.walk(logs)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        Path log = logs.resolve("chatty-3.log");
        ChildProcess p = launcher.launch(new LaunchSpec("chatty", 3,
                List.of("sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo \"line $i\"; i=$((i+1)); done; exec sleep 30"),
                dir, Map.of(), log, new LogSettings(4096, 1))).toCompletableFuture().join();
        started.add(p.pid());
        Await.until(Duration.ofSeconds(10), "rotated in the new directory", () -> Files.exists(Path.of(log + ".1")));
    }

    @Test
    void aLaunchAfterCloseFailsAndStartsNothing() {
        launcher.close();
        var e = assertThrows(CompletionException.class, () -> launch(List.of("sleep", "30")));
        assertTrue(e.getCause() instanceof LaunchException && e.getCause().getMessage().contains("shutting down"), e.toString());
        assertEquals(0, launcher.liveChildren());
        assertFalse(Files.exists(dir.resolve("state/logs/svc-1.log")), "nothing was started, not even its log");
    }

    @Test
    void aSecondManagerCannotTakeTheSameStateDir() {
        var e = assertThrows(PlatformLauncher.StateDirLockedException.class,
                () -> PlatformLauncher.open(dir.resolve("state"), LinuxPlatform.open(false), Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("in use by another procpool (pid " + ProcessHandle.current().pid() + ")"), e.getMessage());
    }

    @Test
    void theReaperLeavesAReusedPidAlone() throws Exception {
        Process stranger = new ProcessBuilder("sleep", "30").start();
        started.add(stranger.pid());
        StateFile.Entry recorded = new StateFile.Entry("svc", 1, stranger.pid(),
                Instant.parse("2001-01-01T00:00:00Z").toString(), List.of("sleep", "30"));
        assertEquals(0, OrphanReaper.reap(launcher.platform(), List.of(recorded), java.util.Optional.empty(), Duration.ofSeconds(1)));
        assertTrue(stranger.isAlive());
        stranger.destroyForcibly();
    }

    @Test
    void childrenMissingFromTheStateFileAreFoundByTheRunIdTheyCarry() throws Exception {
        // As if the manager had been killed between the spawn and the journal line: the next
        // manager has no record of the child, only the run id of the snapshot written at open.
        java.util.Optional<String> run = new StateFile(dir.resolve("state")).previousRun();
        assertTrue(run.isPresent(), "the launcher writes its run id before it starts anything");
        ChildProcess unrecorded = launch(List.of("sleep", "30"));
        // and a descendant that left its group: the state file could never have named it
        Escapee e = escapee();
        long escaped = e.pid();
        ChildProcess parent = e.parent();
        Process stranger = new ProcessBuilder("sleep", "30").start(); // carries no run id
        Process otherRun = null;
        try {
            otherRun = startWithEnv(PlatformLauncher.RUN_ENV, "0123456789abcdef");
            assertEquals(3, OrphanReaper.reap(launcher.platform(), List.of(), run, Duration.ofSeconds(2)));
            Await.until(Duration.ofSeconds(5), "all three gone", () -> !ProcessHandle.of(escaped).map(ProcessHandle::isAlive).orElse(false)
                    && unrecorded.onExit().toCompletableFuture().isDone() && parent.onExit().toCompletableFuture().isDone());
            assertTrue(stranger.isAlive(), "a process without the run id is left alone");
            assertTrue(otherRun.isAlive(), "so is one of another run");
        } finally {
            stranger.destroyForcibly();
            if (otherRun != null) {
                otherRun.destroyForcibly();
            }
        }
    }

    @Test
    void aCloseWithNoChildLeftLeavesNoRunToLookFor() throws Exception {
        ChildProcess p = launch(List.of("sleep", "30"));
        p.signal(Signal.KILL);
        Await.until(Duration.ofSeconds(5), "no live children", () -> launcher.liveChildren() == 0);
        launcher.close();
        assertEquals(java.util.Optional.empty(), new StateFile(dir.resolve("state")).previousRun());
    }

    @Test
    void aCloseWithAChildStillRunningKeepsItsRunForTheNextManager() throws Exception {
        launch(List.of("sleep", "30"));
        launcher.close();
        assertTrue(new StateFile(dir.resolve("state")).previousRun().isPresent());
    }

    /** A child, and the pid of the descendant it started with {@code setsid} (out of its group). */
    private record Escapee(ChildProcess parent, long pid) {
    }

    private Escapee escapee() throws Exception {
        ChildProcess parent = launch(List.of("sh", "-c", "setsid sleep 30 & echo $! > escaped.pid; wait"));
        Path pidFile = dir.resolve("escaped.pid");
        Await.until(Duration.ofSeconds(5), "the escaped pid written", () -> Files.exists(pidFile) && read(pidFile).endsWith("\n"));
        long escaped = Long.parseLong(read(pidFile).trim());
        started.add(escaped);
        // $! is known at the fork, before the child has run setsid: until then it is in the group.
        Await.until(Duration.ofSeconds(5), "the escapee in its own session", () -> {
            String stat = read(Path.of("/proc/" + escaped + "/stat"));
            return !stat.isEmpty() && stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3].equals(Long.toString(escaped));
        });
        return new Escapee(parent, escaped);
    }

    @Test
    void aCleanCloseAlsoStopsTheDescendantsThatLeftTheirGroup() throws Exception {
        Escapee e = escapee();
        long escaped = e.pid();
        Process stranger = new ProcessBuilder("sleep", "30").start(); // carries no run id
        try {
            e.parent().signal(Signal.TERM); // its group: the escapee is not in it
            e.parent().onExit().toCompletableFuture().get(5, TimeUnit.SECONDS);
            Await.until(Duration.ofSeconds(5), "no live children", () -> launcher.liveChildren() == 0);
            assertTrue(Manager.alive(escaped), "the group's stop missed it");
            launcher.close();
            assertFalse(Manager.alive(escaped), "gone when close returns");
            assertTrue(stranger.isAlive(), "a process without the run id is left alone");
        } finally {
            stranger.destroyForcibly();
        }
    }

    @Test
    void aCloseWithAChildStillRunningLeavesItsDescendantsToTheNextManager() throws Exception {
        long escaped = escapee().pid();
        launcher.close();
        assertTrue(Manager.alive(escaped), "left alone while its service's child runs");
        assertTrue(new StateFile(dir.resolve("state")).previousRun().isPresent());
    }

    private Process startWithEnv(String name, String value) throws java.io.IOException {
        ProcessBuilder pb = new ProcessBuilder("sleep", "30");
        pb.environment().put(name, value);
        return pb.start();
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
