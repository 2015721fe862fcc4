package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pool.gateway, pool.feeds, and the services' route and drain: defaults, and each mistake named. */
class GatewayConfigTest {

    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    @Test
    void theDefaultsAreOffTheServicesNameAndATenSecondDrain() throws Exception {
        PoolSettings pool = files.load("pool.conf", "pool.services.search { command = \"./s\", ports = [8000] }");
        assertEquals(false, pool.gateway().enabled());
        assertEquals(8080, pool.gateway().port());
        assertEquals(GatewaySettings.Balance.P2C, pool.gateway().balance());
        assertEquals(Duration.ofSeconds(10), pool.gateway().queueTimeout());
        assertEquals(1000, pool.gateway().maxQueued());
        assertEquals(List.of(), pool.feeds());
        ServiceSettings s = pool.services().get("search");
        assertEquals(new RouteSettings("/search", true, Optional.empty(), Duration.ofSeconds(60), OptionalLong.empty()), s.route());
        assertEquals(new DrainSettings(Duration.ZERO, Duration.ofSeconds(10)), s.drain());
    }

    @Test
    void aRouteAndADrainAreReadAsWrittenAndDrainIsAPoolDefault() throws Exception {
        PoolSettings pool = files.load("pool.conf", """
                pool {
                  gateway { enabled = true, port = 9080, balance = round-robin, queue-timeout = 2s, max-queued = 5 }
                  defaults.drain.delay = 2s
                  feeds.nginx { file = "up.conf", reload-command = "nginx -s reload" }
                  services.api {
                    command = "./s"
                    ports = [8000]
                    route { path-prefix = "/api/", strip-prefix = false, host = "API.example", request-timeout = 5s, max-body = 1MiB }
                  }
                }
                """);
        assertEquals(GatewaySettings.Balance.ROUND_ROBIN, pool.gateway().balance());
        RouteSettings r = pool.services().get("api").route();
        assertEquals("/api", r.pathPrefix(), "a trailing slash is dropped");
        assertEquals(false, r.stripPrefix());
        assertEquals(Optional.of("api.example"), r.host());
        assertEquals(OptionalLong.of(1 << 20), r.maxBody());
        assertEquals(Duration.ofSeconds(2), pool.services().get("api").drain().delay());
        assertEquals(List.of(new FeedSettings("nginx", dir.resolve("up.conf"), List.of("nginx", "-s", "reload"), 32)), pool.feeds());
    }

    @Test
    void eachMistakeIsNamedWithItsKey() throws Exception {
        List<ConfigError> errors = files.errors("pool.conf", """
                pool {
                  admin.port = 9900
                  gateway { enabled = true, port = 9900, balance = random }
                  feeds.haproxy { reload-command = "x" }
                  feeds.squid { file = "x" }
                  services.a { command = "./s", ports = [8000], route.path-prefix = "api", drain.timeout = -1s }
                  services.b { command = "./s", ports = [8001], route.path-prefix = "/same" }
                  services.c { command = "./s", ports = [8002], route.path-prefix = "/same" }
                }
                """);
        String all = errors.stream().map(ConfigError::render).reduce("", (x, y) -> x + "\n" + y);
        assertTrue(all.contains("'pool.gateway.balance': must be p2c, round-robin or least-requests, got \"random\""), all);
        assertTrue(all.contains("'pool.gateway.port': (9900) is also pool.admin.port"), all);
        assertTrue(all.contains("reload-command': is set but file is not"), all);
        assertTrue(all.contains("squid"), all);
        assertTrue(all.contains("service 'a', key 'route.path-prefix': must be a path such as \"/api\""), all);
        assertTrue(all.contains("service 'a', key 'drain.timeout'"), all);
        assertTrue(all.contains("service 'c', key 'route.path-prefix': \"/same\" is also the route of service 'b'"), all);
    }
}
