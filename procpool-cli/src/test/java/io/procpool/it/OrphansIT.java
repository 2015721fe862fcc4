package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real command line as a child subreaper and as the PID 1 of a PID namespace (as in a
 * container): a service whose shell leaves orphans behind, one that exits (it must be reaped, not
 * left a zombie), one that leaves its process group but not its session (it must stop with its
 * instance), and one that leaves the session too (it must stop with the manager); and a service
 * whose own child leaves the group while the leader lives (a stop must reach it at once, and the
 * instance count as stopped only once it is gone); and an exec health check that leaves a job in
 * the background (in procpool's own session: it must be reaped, and the checks' exits still
 * count). Processes are read from outside, through {@code /proc}: a namespace's processes are the
 * manager's descendants.
 */
class OrphansIT {

    /** The service: three orphans, then the shell becomes a long sleep. Each sleep has its own length, to be found by it. */
    private static final String LEAKY = """
            (sleep 4 &)
            (exec python3 -c 'import os; os.setpgid(0, 0); os.execvp("sleep", ["sleep", "301"])' &)
            (setsid sleep 302 &)
            exec sleep 300
            """;

    /**
     * The service: its own child leaves the group (as GNU {@code timeout} or a shell with job
     * control does) and ignores SIGTERM, and the shell becomes a long sleep; no sweep adopts that
     * child while its parent, the leader, lives.
     */
    private static final String LEAVES_GROUP = """
            python3 -c 'import os, signal; os.setpgid(0, 0); signal.signal(signal.SIGTERM, signal.SIG_IGN); os.execvp("sleep", ["sleep", "304"])' &
            exec sleep 303
            """;

    @TempDir
    Path dir;
    private Manager manager;
    private int port;

    @BeforeEach
    void setUp() throws Exception {
        manager = new Manager(dir);
        port = Manager.freePort();
        Files.writeString(dir.resolve("leaky.sh"), LEAKY);
        manager.writeConfig("services.leaky { command = [sh, leaky.sh], ports = [" + port + "],"
                + " health-check.type = none, stop.timeout = 2s }");
    }

    @AfterEach
    void tearDown() throws Exception {
        manager.close();
    }

    @Test
    void subreaperReapsAnOrphanAndStopsOneThatLeftItsGroupWithItsInstance() throws Exception {
        Process run = manager.run();
        long jvm = run.pid();
        long leader = awaitStarted();
        long exiting = awaitDescendant(jvm, "sleep 4");
        long leftGroup = awaitDescendant(jvm, "sleep 301");
        long leftSession = awaitDescendant(jvm, "sleep 302");
        List.of(exiting, leftGroup, leftSession).forEach(manager::track);
        assertEquals(jvm, stat(exiting).ppid(), "the orphan was adopted by procpool, not by init");
        assertEquals(jvm, stat(leftGroup).ppid());
        assertNotEquals(leader, stat(leftGroup).pgrp());
        assertEquals(leader, stat(leftGroup).session());

        Await.until(Duration.ofSeconds(10), "the exited orphan reaped", () -> stat(exiting) == null);

        post("services/leaky/stop");
        Await.until(Duration.ofSeconds(10), "the orphan that left its group stopped with its instance",
                () -> !Manager.alive(leftGroup));
        assertTrue(Manager.alive(leftSession), "it left the session: no stop of an instance reaches it");

        Manager.signal(jvm, "TERM");
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(15)), "exit code after SIGTERM: " + manager.output());
        assertFalse(Manager.alive(leftSession), "the orphan that left its session outlived the manager");
    }

    @Test
    void aLiveInstancesChildThatLeftItsGroupStopsWithItAndTheInstanceEndsOnlyOnceItIsGone() throws Exception {
        Files.writeString(dir.resolve("pgrp.sh"), LEAVES_GROUP);
        manager.writeConfig("services.leaky { command = [sh, pgrp.sh], ports = [" + port + "],"
                + " health-check.type = none, stop.timeout = 2s }");
        Process run = manager.run();
        long leader = awaitStarted();
        long leftGroup = awaitDescendant(run.pid(), "sleep 304");
        manager.track(leftGroup);
        assertEquals(leader, stat(leftGroup).ppid(), "the leader's own child, not adopted: no sweep has seen it");
        assertNotEquals(leader, stat(leftGroup).pgrp());
        assertEquals(leader, stat(leftGroup).session());

        post("services/leaky/stop");
        String stopped = "leaky:" + port + " STOPPING -> STOPPED";
        Await.until(Duration.ofSeconds(15), "the instance stopped", () -> output().contains(stopped));
        assertFalse(Manager.alive(leftGroup), "the instance counted as stopped while its child that left the group runs");
        assertFalse(Manager.alive(leader));
        assertTrue(output().contains("sending SIGKILL"), "it ignores SIGTERM: only the deadline's SIGKILL stops it\n" + output());

        Manager.signal(run.pid(), "TERM");
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(15)), "exit code after SIGTERM: " + manager.output());
    }

    @Test
    void whatAnExecProbeLeavesInTheBackgroundIsReapedAndTheProbesExitStillCounts() throws Exception {
        Path pids = dir.resolve("probe.pids");
        manager.writeConfig("services.leaky { command = [sleep, \"305\"], ports = [" + port + "], stop.timeout = 2s,"
                + " health-check { type = exec, command = [sh, -c, \"sleep 0.2 >/dev/null 2>&1 & echo $! >> '" + pids
                + "'\"], interval = 1s, start-interval = 200ms } }");
        Process run = manager.run();
        manager.awaitInstance("leaky", port, "HEALTHY", Duration.ofSeconds(15));
        long background = Await.value(Duration.ofSeconds(10), "a probe's background pid", () -> firstLine(pids));
        Await.until(Duration.ofSeconds(10), "pid " + background + " adopted by procpool and exited",
                () -> stat(background) == null || stat(background).state() == 'Z' && stat(background).ppid() == run.pid());
        Await.until(Duration.ofSeconds(20), "pid " + background + ", a zombie in procpool's session, reaped",
                () -> stat(background) == null);
        assertEquals("HEALTHY", manager.instance("leaky", port).orElseThrow().path("state").asText(),
                "the probes' exit 0 still comes through");

        Manager.signal(run.pid(), "TERM");
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(15)), "exit code after SIGTERM: " + manager.output());
    }

    private static Long firstLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.isEmpty() || lines.get(0).isBlank() ? null : Long.parseLong(lines.get(0).trim());
        } catch (IOException e) {
            return null;
        }
    }

    private String output() {
        try {
            return manager.output();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void asPidOneOfANamespaceItLeavesNoZombieAndSigtermStopsEverything() throws Exception {
        List<String> unshare = new ArrayList<>(List.of("unshare"));
        if (!isRoot()) {
            unshare.add("-r");
        }
        unshare.addAll(List.of("--pid", "--fork", "--mount-proc"));
        Process run = manager.runUnder(unshare);
        long init = Await.value(Duration.ofSeconds(10), "the JVM forked by unshare",
                () -> children(run.pid()).stream().findFirst().orElse(null));
        awaitStarted();
        long exiting = awaitDescendant(init, "sleep 4");
        awaitDescendant(init, "sleep 301");
        awaitDescendant(init, "sleep 302");

        Await.until(Duration.ofSeconds(10), "the exited orphan reaped", () -> stat(exiting) == null);
        Set<Long> inside = descendants(init);
        for (long pid : inside) {
            Stat st = stat(pid);
            assertTrue(st == null || st.state() != 'Z', "zombie in the namespace: pid " + pid + " " + st);
        }

        Manager.signal(init, "TERM");
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(15)), "exit code after SIGTERM: " + manager.output());
        assertTrue(manager.output().contains("procpool stopped cleanly"), manager.output());
        for (long pid : inside) {
            assertFalse(Manager.alive(pid), "pid " + pid + " outlived the manager");
        }
    }

    /** Waits until the instance runs; its pid. */
    private long awaitStarted() {
        return Await.value(Duration.ofSeconds(15), "leaky started", () -> manager.instance("leaky", port)
                .filter(i -> i.path("pid").isNumber() && List.of("RUNNING", "HEALTHY").contains(i.path("state").asText()))
                .map(i -> i.path("pid").asLong()).orElse(null));
    }

    /** Waits for a descendant of {@code root} whose command line is {@code command}; its pid. */
    private static long awaitDescendant(long root, String command) {
        return Await.value(Duration.ofSeconds(10), command + " under " + root, () -> descendants(root).stream()
                .filter(pid -> command.equals(cmdline(pid))).findFirst().orElse(null));
    }

    private void post(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + manager.adminPort + "/" + path))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    record Stat(char state, long ppid, long pgrp, long session) {
    }

    /** {@code /proc/PID/stat}, or null when there is no such process (reaped). */
    private static Stat stat(long pid) {
        try {
            String text = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
            return new Stat(f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
        } catch (IOException e) {
            return null;
        }
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** The children of {@code pid}, from every one of its threads' {@code children} file. */
    private static Set<Long> children(long pid) {
        Set<Long> out = new HashSet<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks) {
                try {
                    for (String c : Files.readString(task.resolve("children")).trim().split(" ")) {
                        if (!c.isEmpty()) {
                            out.add(Long.parseLong(c));
                        }
                    }
                } catch (IOException e) {
                    // a thread that ended meanwhile
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        return out;
    }

    private static Set<Long> descendants(long pid) {
        Set<Long> out = new HashSet<>();
        List<Long> todo = new ArrayList<>(children(pid));
        while (!todo.isEmpty()) {
            long p = todo.remove(todo.size() - 1);
            if (out.add(p)) {
                todo.addAll(children(p));
            }
        }
        return out;
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                .findFirst().map(l -> l.split("\\s+")[1].equals("0")).orElse(false);
    }
}
