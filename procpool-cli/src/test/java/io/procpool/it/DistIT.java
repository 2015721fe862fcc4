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
        for (String file : List.of("bin/procpool", "bin/poolctl", "lib/procpool.jar", "conf/pool.conf", "conf/jvm.options",
                "build/search.cgi", "build/auth.cgi", "samples/python/sample_python_cgi.py", "packaging/systemd/procpool.service",
                "share/bash-completion/completions/procpool", "share/bash-completion/completions/poolctl")) {
            assertTrue(Files.exists(home.resolve(file)), file + " is not in the archive");
        }
        assertTrue(Files.isExecutable(home.resolve("bin/procpool")) && Files.isExecutable(home.resolve("build/search.cgi")));
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

    /** Runs a command in {@code cwd} to its end and returns its output; a failure fails the test. */
    private static String run(Path cwd, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd + " did not end");
        assertEquals(0, p.exitValue(), cmd + ": " + out);
        return out;
    }
}
