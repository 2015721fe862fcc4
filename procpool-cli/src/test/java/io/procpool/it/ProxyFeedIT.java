package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real nginx and real HAProxy, fed by {@code pool.feeds}, in front of a real pool: a rolling
 * restart under load through each fails no request. Each proxy runs in the foreground as this
 * test's child, with its own configuration in a temporary directory, and is stopped by its pid
 * (also when the test fails); none is started as a system service.
 */
class ProxyFeedIT {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private Manager manager;
    private final List<Process> proxies = new ArrayList<>();
    private int[] ports;
    private int proxyPort;

    @BeforeEach
    void setUp() throws Exception {
        for (String tool : List.of("nginx", "haproxy")) {
            assertTrue(onPath(tool), tool + " is not installed: `make test` installs it (apt-get install nginx haproxy), as .ci/run does");
        }
        manager = new Manager(dir);
        ports = new int[] {Manager.freePort(), Manager.freePort()};
        proxyPort = Manager.freePort();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : proxies) {
            // The master stops its workers on SIGTERM; SIGKILL if it does not within 10 s.
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            p.descendants().forEach(ProcessHandle::destroyForcibly);
        }
        manager.close();
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool));
    }

    private static String tool(String name) {
        return Files.isExecutable(Path.of("/usr/sbin", name)) ? "/usr/sbin/" + name : name;
    }

    /** A pool of two instances of {@code web}, its feed for {@code feed} written to {@code file}, reloaded by {@code reload}. */
    private void startPool(String feed, Path file, String reload) throws Exception {
        manager.writeConfig("""
                feeds.%s { file = "%s", reload-command = "%s" }
                services.web {
                  command = %s
                  ports = [%d, %d]
                  health-check { path = "/health", interval = 200ms, timeout = 500ms, start-interval = 50ms }
                  # covers the proxy's reload: it has stopped sending before the instance stops
                  drain.delay = 1s
                  stop.timeout = 5s
                }
                """.formatted(feed, file, reload, Manager.fake(""), ports[0], ports[1]));
        manager.run();
        for (int p : ports) {
            manager.awaitInstance("web", p, "HEALTHY", Duration.ofSeconds(30));
        }
        Await.until(Duration.ofSeconds(10), "the feed lists both instances", () -> {
            try {
                String text = Files.exists(file) ? Files.readString(file) : "";
                return text.contains("127.0.0.1:" + ports[0]) && text.contains("127.0.0.1:" + ports[1]) && !text.contains(" down;");
            } catch (IOException e) {
                return false;
            }
        });
    }

    private Process startProxy(List<String> command, String name) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".out").toFile()).start();
        proxies.add(p);
        Await.until(Duration.ofSeconds(15), name + " serves web", () -> p.isAlive() && status("/") == 200);
        return p;
    }

    private int status(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + path)).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void rollUnderLoad(String through) throws Exception {
        Load load = new Load(URI.create("http://127.0.0.1:" + proxyPort + "/"), 6, Duration.ofSeconds(120));
        try {
            Await.until(Duration.ofSeconds(10), "load flows", () -> load.ok() > 20);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + manager.adminPort
                    + "/services/web/restart")).POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(120)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            long before = load.ok();
            Await.until(Duration.ofSeconds(10), "load flows after the roll", () -> load.ok() > before + 20);
        } finally {
            load.stop();
        }
        assertEquals(0, load.failed(), "a rolling restart through " + through + ": " + load);
        assertTrue(load.ok() > 40, load.toString());
    }

    @Test
    void aRollingRestartThroughNginxFedByProcpoolFailsNoRequest() throws Exception {
        Path upstreams = dir.resolve("upstreams.conf");
        Path conf = dir.resolve("nginx.conf");
        Files.createDirectories(dir.resolve("tmp"));
        Files.writeString(conf, """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/nginx-error.log notice;
                events { worker_connections 1024; }
                http {
                  access_log off;
                  client_body_temp_path %1$s/tmp/body;
                  proxy_temp_path %1$s/tmp/proxy;
                  fastcgi_temp_path %1$s/tmp/fastcgi;
                  uwsgi_temp_path %1$s/tmp/uwsgi;
                  scgi_temp_path %1$s/tmp/scgi;
                  include %1$s/upstreams.conf;
                  server {
                    listen 127.0.0.1:%2$d;
                    location / {
                      proxy_pass http://web;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                    }
                  }
                }
                """.formatted(dir, proxyPort));
        String nginx = tool("nginx");
        startPool("nginx", upstreams, nginx + " -p " + dir + " -e " + dir.resolve("nginx-error.log") + " -c " + conf + " -s reload");
        startProxy(List.of(nginx, "-p", dir.toString(), "-e", dir.resolve("nginx-error.log").toString(), "-c", conf.toString()), "nginx");
        rollUnderLoad("nginx");
        assertTrue(Files.readString(dir.resolve("nginx-error.log")).contains("reconfiguring"),
                "procpool reloaded nginx during the roll: " + Files.readString(dir.resolve("nginx-error.log")));
    }

    @Test
    void aRollingRestartThroughHaproxyFedByProcpoolFailsNoRequest() throws Exception {
        Path backends = dir.resolve("haproxy-backends.cfg");
        Path conf = dir.resolve("haproxy.cfg");
        Files.writeString(conf, """
                global
                  maxconn 2000
                defaults
                  mode http
                  timeout connect 2s
                  timeout client 30s
                  timeout server 30s
                frontend web_in
                  bind 127.0.0.1:%d
                  default_backend web
                """.formatted(proxyPort));
        Path reload = dir.resolve("haproxy-reload.sh");
        Files.writeString(reload, "kill -USR2 \"$(cat '" + dir.resolve("haproxy.pid") + "')\"\n");
        startPool("haproxy", backends, "sh " + reload);
        startProxy(List.of(tool("haproxy"), "-W", "-f", conf.toString(), "-f", backends.toString(), "-p",
                dir.resolve("haproxy.pid").toString()), "haproxy");
        rollUnderLoad("HAProxy");
        assertTrue(Files.readString(dir.resolve("haproxy.out")).contains("Reloading HAProxy"),
                "procpool reloaded HAProxy during the roll: " + Files.readString(dir.resolve("haproxy.out")));
    }
}
