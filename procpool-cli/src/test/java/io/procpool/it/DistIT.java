package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.internal.BuildInfo;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive as a user gets it: unpacked somewhere else, it runs the default pool
 * with only Java on the path (bin/procpool, its conf/ and samples), poolctl drives it, the gateway
 * serves, and SIGTERM leaves nothing behind.
 */
class DistIT {

    private static final Path TARGET = Manager.JAR.getParent();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @TempDir
    Path dir;

    @Test
    void theArchiveUnpackedElsewhereRunsTheDefaultPool() throws Exception {
        Path archive = TARGET.resolve("procpool-" + BuildInfo.current().version() + ".tar.gz");
        assertTrue(Files.isRegularFile(archive), archive + " is missing: mvn package builds it");
        run(dir, List.of("tar", "xzf", archive.toString()));
        Path home = dir.resolve("procpool-" + BuildInfo.current().version());
        for (String file : List.of("bin/procpool", "bin/poolctl", "lib/procpool.jar", "lib/procpool-pdeathsig", "conf/pool.conf", "conf/jvm.options",
                "build/search.cgi", "build/auth.cgi", "samples/python/sample_python_cgi.py", "packaging/systemd/procpool.service",
                "share/bash-completion/completions/procpool", "share/bash-completion/completions/poolctl")) {
            assertTrue(Files.exists(home.resolve(file)), file + " is not in the archive");
        }
        assertTrue(Files.isExecutable(home.resolve("bin/procpool")) && Files.isExecutable(home.resolve("build/search.cgi"))
                && Files.isExecutable(home.resolve("lib/procpool-pdeathsig")));
        assertEquals(BuildInfo.current().describe(), run(home, List.of("bin/procpool", "--version")).strip());

        try (Manager manager = new Manager(dir)) {
            int gateway = Manager.freePort();
            // The default pool as shipped; only the admin and gateway ports moved off 9900 and 8080
            // (which a pool the developer runs may hold), the way a deployment overrides the file.
            Process procpool = manager.launchIn(home, Map.of("PROCPOOL_ADMIN_PORT", Integer.toString(manager.adminPort),
                    "CONFIG_FORCE_procpool_gateway_port", Integer.toString(gateway)),
                    List.of("bin/procpool", "run", "--config", "conf/pool.conf"));
            List<Long> pids = new ArrayList<>();
            for (String[] instance : new String[][] {{"search", "8000"}, {"auth", "8002"}, {"python_cgi", "8003"}}) {
                pids.add(manager.awaitInstance(instance[0], Integer.parseInt(instance[1]), "HEALTHY", Duration.ofSeconds(60)));
            }
            HttpResponse<String> search = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gateway + "/search/?q=dist")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, search.statusCode(), search.body());

            String status = run(home, List.of("bin/poolctl", "status", "--admin", "127.0.0.1:" + manager.adminPort));
            assertTrue(status.contains("search") && status.contains("python_cgi"), status);

            procpool.toHandle().descendants().forEach(p -> pids.add(p.pid()));
            new ProcessBuilder("kill", "-TERM", Long.toString(procpool.pid())).start().waitFor();
            assertTrue(procpool.waitFor(30, TimeUnit.SECONDS), "procpool did not stop within 30 s of SIGTERM");
            assertEquals(0, procpool.exitValue(), manager.output());
            for (long pid : pids) {
                assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "pid " + pid + " outlived procpool");
            }
        }
    }

    /**
     * The class-data archive where a user gets procpool: {@code bin/procpool cds} records it beside
     * the jar; the launcher maps it (procpool's classes come from it); a jar that
     * changes makes it stale, which a start says and {@code cds --if-stale} mends.
     */
    @Test
    void theClassDataArchiveIsRecordedCheckedAndRecordedAgain() throws Exception {
        Path archive = TARGET.resolve("procpool-" + BuildInfo.current().version() + ".tar.gz");
        run(dir, List.of("tar", "xzf", archive.toString()));
        Path home = dir.resolve("procpool-" + BuildInfo.current().version());
        Path jsa = home.resolve("lib/procpool.jsa");
        assertTrue(Files.notExists(jsa), "the archive is made where it runs, not shipped: it belongs to one JDK build");
        String none = run(home, List.of("bin/procpool", "check", "--config", "conf/pool.conf"));
        assertTrue(none.contains("no class-data archive") && none.contains("'bin/procpool cds' records it"), none);
        assertTrue(run(home, List.of("bin/procpool", "cds", "--help")).startsWith("Usage: procpool cds [--if-stale]"));
        // Named on purpose and not there: said, not a start without every flag.
        String said = run(home, List.of("bin/procpool", "check", "--config", "conf/pool.conf"),
                Map.of("PROCPOOL_JVM_OPTIONS", "conf/no-such.options"), 2);
        assertTrue(said.contains("PROCPOOL_JVM_OPTIONS names conf/no-such.options, which is not a file"), said);

        run(home, List.of("bin/procpool", "cds"));
        assertTrue(Files.size(jsa) > 1_000_000 && Files.isRegularFile(home.resolve("lib/procpool.jsa.stamp")));
        java.nio.file.attribute.FileTime recorded = Files.getLastModifiedTime(jsa);
        run(home, List.of("bin/procpool", "cds", "--if-stale"));
        assertEquals(recorded, Files.getLastModifiedTime(jsa), "a matching archive is left alone");
        // The launcher passes the archive: procpool's own main class comes from it, not from the jar,
        // and so does picocli's parser (Java 5 bytecode, which only a static archive holds on JDK 17).
        String loaded = run(home, List.of("bin/procpool", "--version"), Map.of("JAVA_OPTS", "-Xlog:class+load=info:stdout"));
        for (String cls : List.of("io.procpool.cli.Main", "picocli.CommandLine")) {
            assertTrue(loaded.contains(cls + " source: shared objects file"),
                    loaded.lines().filter(l -> l.contains(cls + " ")).findFirst().orElse(cls + " not loaded"));
        }
        assertTrue(!run(home, List.of("bin/procpool", "check", "--config", "conf/pool.conf")).contains("class-data archive"));

        Path jar = home.resolve("lib/procpool.jar");
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
        String stale = run(home, List.of("bin/procpool", "check", "--config", "conf/pool.conf"));
        assertTrue(stale.contains("the class-data archive") && stale.contains("bin/procpool cds"), stale);

        run(home, List.of("bin/procpool", "cds", "--if-stale"));
        assertTrue(Files.getLastModifiedTime(jsa).compareTo(recorded) > 0, "recorded again for the changed jar");
        assertTrue(!run(home, List.of("bin/procpool", "check", "--config", "conf/pool.conf")).contains("class-data archive"));
    }

    private static String run(Path cwd, List<String> cmd) throws IOException, InterruptedException {
        return run(cwd, cmd, Map.of());
    }

    private static String run(Path cwd, List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        return run(cwd, cmd, env, 0);
    }

    /** Runs a command in {@code cwd} to its end and returns its output; another exit than {@code exit} fails the test. */
    private static String run(Path cwd, List<String> cmd, Map<String, String> env, int exit) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd + " did not end");
        assertEquals(exit, p.exitValue(), cmd + ": " + out);
        return out;
    }
}
