package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager over real processes: crashes, stops, process trees, orphans, bad configs. */
class SupervisionIT {

    @TempDir
    Path dir;

    private Manager manager;

    @BeforeEach
    void setUp() throws Exception {
        manager = new Manager(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        manager.close();
    }

    @Test
    void servesOnEveryPortAndReplacesAnInstanceKilledWithSigkill() throws Exception {
        int a = Manager.freePort();
        int b = Manager.freePort();
        manager.writeConfig("services.web { command = " + Manager.fake("") + ", ports = [" + a + ", " + b + "] }");
        Process procpool = manager.run();
        long pidA = manager.awaitInstance("web", a, "HEALTHY", Duration.ofSeconds(15));
        long pidB = manager.awaitInstance("web", b, "HEALTHY", Duration.ofSeconds(15));
        assertEquals(pidA, Await.value(Duration.ofSeconds(5), "port " + a + " serves", () -> Manager.servingPid(a)));
        assertEquals(pidB, Await.value(Duration.ofSeconds(5), "port " + b + " serves", () -> Manager.servingPid(b)));

        Manager.signal(pidA, "KILL");
        long replacement = Await.value(Duration.ofSeconds(10), "a new pid serves on " + a, () -> {
            Long pid = Manager.servingPid(a);
            return pid != null && pid != pidA ? pid : null;
        });
        JsonNode instance = manager.instance("web", a).orElseThrow();
        assertEquals(replacement, instance.path("pid").asLong());
        assertEquals(1, instance.path("restarts").asInt());
        assertEquals(137, instance.path("last_exit").asInt());
        assertEquals(pidB, Manager.servingPid(b));
        assertTrue(Files.readString(dir.resolve("state/logs/web-" + a + ".log")).contains("listening on " + a));
        // The restart warm-up's processes (started and killed at startup) leave no log of their own.
        try (var logs = Files.list(dir.resolve("state/logs"))) {
            assertEquals(java.util.Set.of("web-" + a + ".log", "web-" + b + ".log"),
                    logs.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
        // A restart woke the metrics library's scheduler thread (started by the first sample of a
        // counter with exemplars) on the path from a crash to serving; no metric keeps exemplars.
        // Nothing here scrapes /metrics, whose JVM metrics would start that thread for their own.
        assertEquals(List.of(), threadNames(procpool.pid()).stream().filter(n -> n.startsWith("prometheus")).toList());
        // Every start, the restart warm-up's real ones too, runs on the instances' thread: none
        // hopped to the platform's launcher thread, which would stay for the JVM's life.
        assertEquals(List.of(), threadNames(procpool.pid()).stream().filter(n -> n.startsWith("procpool-launch")).toList());
    }

    /** The names of a process's threads, as the kernel has them (15 characters at most). */
    private static List<String> threadNames(long pid) throws java.io.IOException {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return tasks.map(t -> {
                try {
                    return Files.readString(t.resolve("comm")).strip();
                } catch (java.io.IOException e) {
                    return ""; // the thread ended meanwhile
                }
            }).toList();
        }
    }

    @Test
    void aManagerKilledWithSigkillTakesItsChildrenWithIt() throws Exception {
        int a = Manager.freePort();
        int b = Manager.freePort();
        manager.writeConfig("services.web { command = " + Manager.fake("") + ", ports = [" + a + ", " + b + "] }");
        Process run = manager.run();
        long pidA = manager.awaitInstance("web", a, "HEALTHY", Duration.ofSeconds(15));
        long pidB = manager.awaitInstance("web", b, "HEALTHY", Duration.ofSeconds(15));
        // The runnable jar found procpool-pdeathsig beside it (not setpriv), which exec'd the
        // command in its own place.
        assertTrue(manager.output().contains("children start through posix_spawn + pidfd + procpool-pdeathsig"), manager.output());
        String cmdline = Files.readString(Path.of("/proc/" + pidA + "/cmdline"));
        assertTrue(cmdline.contains("fake_service.py\0--port\0" + a), cmdline);

        Manager.signal(run.pid(), "KILL");
        // children-die-with-manager (the default): the kernel sends each SIGTERM; nothing of
        // procpool's is left to do it.
        Await.until(Duration.ofSeconds(10), "both children gone with their manager",
                () -> !Manager.alive(pidA) && !Manager.alive(pidB));
    }

    @Test
    void aCrashLoopEndsFailedWhileAnotherServiceKeepsItsPids() throws Exception {
        int crash = Manager.freePort();
        int steady = Manager.freePort();
        manager.writeConfig("services {\n"
                + "  crashy { command = " + Manager.fake("--exit-after 0 --exit-code 3") + ", ports = [" + crash + "],"
                + " restart { max-restarts = 3 } }\n"
                + "  steady { command = " + Manager.fake("") + ", ports = [" + steady + "] }\n}");
        manager.run();
        long steadyPid = manager.awaitInstance("steady", steady, "HEALTHY", Duration.ofSeconds(15));
        Await.until(Duration.ofSeconds(15), "crashy FAILED", () -> manager.status()
                .map(s -> s.path("services").path("crashy").path("state").asText().equals("FAILED")).orElse(false));
        JsonNode failed = manager.instance("crashy", crash).orElseThrow();
        assertEquals(3, failed.path("restarts").asInt());
        assertEquals(3, failed.path("last_exit").asInt());
        assertEquals(steadyPid, manager.instance("steady", steady).orElseThrow().path("pid").asLong());
        assertEquals(steadyPid, Manager.servingPid(steady));
    }

    @Test
    void sigtermStopsEverythingAndExitsZeroKillingWhatIgnoresIt() throws Exception {
        int polite = Manager.freePort();
        int stubborn = Manager.freePort();
        Path grandchild = dir.resolve("grandchild.pid");
        manager.writeConfig("services {\n"
                + "  polite { command = " + Manager.fake("--grandchild " + grandchild) + ", ports = [" + polite + "] }\n"
                + "  stubborn { command = " + Manager.fake("--ignore-term") + ", ports = [" + stubborn + "], stop.timeout = 1s }\n}");
        Process run = manager.run();
        long politePid = manager.awaitInstance("polite", polite, "HEALTHY", Duration.ofSeconds(15));
        long stubbornPid = manager.awaitInstance("stubborn", stubborn, "HEALTHY", Duration.ofSeconds(15));
        long grandchildPid = Await.value(Duration.ofSeconds(10), "grandchild started", () -> readPid(grandchild));
        manager.track(grandchildPid);
        Await.value(Duration.ofSeconds(5), "stubborn serves", () -> Manager.servingPid(stubborn));

        long t0 = System.nanoTime();
        Manager.signal(run.pid(), "TERM");
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(3)), "exit code after SIGTERM");
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        for (long pid : List.of(politePid, stubbornPid, grandchildPid)) {
            assertFalse(Manager.alive(pid), "pid " + pid + " survived the manager");
        }
        String out = manager.output();
        assertTrue(out.contains("sending SIGKILL"), out);
        assertTrue(tookMs >= 1000, "the stubborn one had its full stop timeout, took " + tookMs + " ms");
    }

    @Test
    void aSigkilledManagerLeavesNothingBehindAfterTheNextStart() throws Exception {
        int port = Manager.freePort();
        Path grandchild = dir.resolve("grandchild.pid");
        manager.writeConfig("services.web { command = [sh, -c, \"" + Manager.FAKE_SERVICE + " --port $PORT --grandchild "
                + grandchild + " --ignore-term\"], ports = [" + port + "], stop.timeout = 1s }");
        Process first = manager.run();
        long shellPid = manager.awaitInstance("web", port, "HEALTHY", Duration.ofSeconds(15));
        long grandchildPid = Await.value(Duration.ofSeconds(10), "grandchild started", () -> readPid(grandchild));
        manager.track(grandchildPid);
        List<Long> firstRun = ProcessHandle.of(shellPid).orElseThrow().descendants().map(ProcessHandle::pid).toList();
        firstRun.forEach(manager::track);
        Await.value(Duration.ofSeconds(5), "port serves", () -> Manager.servingPid(port));

        Manager.signal(first.pid(), "KILL");
        Manager.awaitExit(first, Duration.ofSeconds(5));
        Files.delete(grandchild);
        manager.run();
        long newShell = manager.awaitInstance("web", port, "HEALTHY", Duration.ofSeconds(15));
        assertNotEquals(shellPid, newShell);
        for (long pid : firstRun) {
            assertFalse(Manager.alive(pid), "pid " + pid + " of the first run survived");
        }
        assertFalse(Manager.alive(shellPid));
        assertFalse(Manager.alive(grandchildPid), "the first run's grandchild survived");
        Await.value(Duration.ofSeconds(5), "the new run serves", () -> {
            Long pid = Manager.servingPid(port);
            return pid != null && !firstRun.contains(pid) ? pid : null;
        });
    }

    @Test
    void anInvalidConfigExitsTwoNamingServiceAndKeyAndStartsNothing() throws Exception {
        int port = Manager.freePort();
        Path marker = dir.resolve("started.pid");
        manager.writeConfig("services.web { command = " + Manager.fake("--pidfile " + marker) + ", ports = [" + port + "],"
                + " min_processes = 1, restart.max-backof = 1s }");
        Process run = manager.run();
        assertEquals(2, Manager.awaitExit(run, Duration.ofSeconds(10)));
        String out = manager.output();
        assertTrue(out.contains("service 'web', key 'min_processes'") && out.contains("did you mean 'min-processes'"), out);
        assertTrue(out.contains("key 'restart.max-backof'") && out.contains("did you mean 'max-backoff'"), out);
        assertTrue(out.contains("pool.conf:"), out);
        assertFalse(out.contains("Exception"), out);
        assertFalse(Files.exists(marker), "a process was started");
        assertFalse(Files.exists(dir.resolve("state")), "the state dir was touched");
    }

    @Test
    void runsTheSeedManifestAsItIs() throws Exception {
        int port = Manager.freePort();
        Path manifest = dir.resolve("manifest.json");
        Files.writeString(manifest, "{\"pools\": {\"python_cgi\": {\"command\": \"python3 " + Manager.FAKE_SERVICE
                + " --port {port}\", \"ports\": [" + port + "], \"min_processes\": 1, \"max_processes\": 1,"
                + " \"health_check\": \"/?service=health\"}}}");
        Process run = manager.start("-Dpool.admin.port=" + manager.adminPort, "run", "--config", manifest.toString());
        long pid = Await.value(Duration.ofSeconds(15), "manifest service serves", () -> Manager.servingPid(port));
        manager.track(pid);
        Manager.signal(run.pid(), "TERM");
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(12)));
        assertFalse(Manager.alive(pid));
    }

    @Test
    void aTakenAdminPortExitsOneAndStartsNothing() throws Exception {
        int port = Manager.freePort();
        Path marker = dir.resolve("started.pid");
        manager.writeConfig("services.web { command = " + Manager.fake("--pidfile " + marker) + ", ports = [" + port + "] }");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(manager.adminPort, 50,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            Process run = manager.run();
            assertEquals(1, Manager.awaitExit(run, Duration.ofSeconds(15)));
        }
        assertTrue(manager.output().contains("cannot bind the admin API"), manager.output());
        assertFalse(Files.exists(marker), "a process was started");
    }

    private static Long readPid(Path file) {
        try {
            return Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : null;
        } catch (java.io.IOException | NumberFormatException e) {
            return null;
        }
    }
}
