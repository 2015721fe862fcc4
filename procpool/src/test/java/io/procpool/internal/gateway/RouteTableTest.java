package io.procpool.internal.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.TestConfigs;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    private static final RouteTable TABLE = RouteTable.of(TestConfigs.pool("""
            services {
              search { command = "./s {port}", ports = [8000, 8001] }
              api { command = "./a {port}", ports = [8010], route { path-prefix = "/api", strip-prefix = false } }
              api-v2 { command = "./b {port}", ports = [8020], route { path-prefix = "/api/v2/" } }
              other-host { command = "./c {port}", ports = [8030], route { path-prefix = "/search", host = "search.example" } }
              off { command = "./d {port}", ports = [8040], enabled = false }
            }
            """).services().values());

    private static String service(String host, String path) {
        return TABLE.match(host, path).map(m -> m.route().service()).orElse("none");
    }

    private static String forwarded(String host, String path) {
        return TABLE.match(host, path).map(RouteTable.Match::path).orElse("none");
    }

    @Test
    void aServiceIsUnderItsNameWithThePrefixStripped() {
        assertEquals("search", service("localhost:8080", "/search/"));
        assertEquals("/", forwarded("localhost:8080", "/search/"));
        assertEquals("/", forwarded(null, "/search"));
        assertEquals("/a/b", forwarded(null, "/search/a/b"));
    }

    @Test
    void aPrefixMatchesOnlyAtASegmentBoundary() {
        assertEquals("none", service(null, "/searchx/"));
        assertEquals("none", service(null, "/apix"));
    }

    @Test
    void theLongestPrefixWins() {
        assertEquals("api-v2", service(null, "/api/v2/users"));
        assertEquals("/users", forwarded(null, "/api/v2/users"));
        assertEquals("api", service(null, "/api/v1/users"));
    }

    @Test
    void stripPrefixFalsePassesThePathAsItCame() {
        assertEquals("/api/v1/users", forwarded(null, "/api/v1/users"));
    }

    @Test
    void aRouteWithAHostIsPreferredForThatHostAndIgnoredForOthers() {
        assertEquals("other-host", service("search.example:8080", "/search/x"));
        assertEquals("other-host", service("SEARCH.example", "/search/x"));
        assertEquals("search", service("elsewhere.example", "/search/x"));
    }

    @Test
    void aDisabledServiceHasNoRoute() {
        assertEquals("none", service(null, "/off/"));
        assertTrue(TABLE.routes().stream().noneMatch(r -> r.service().equals("off")));
    }

    @Test
    void aRootPrefixTakesWhatNothingLongerTakes() {
        RouteTable table = RouteTable.of(TestConfigs.pool("""
                services {
                  site { command = "./s {port}", ports = [8000], route.path-prefix = "/" }
                  api { command = "./a {port}", ports = [8010] }
                }
                """).services().values());
        assertEquals(Optional.of("site"), table.match(null, "/index.html").map(m -> m.route().service()));
        assertEquals(Optional.of("/index.html"), table.match(null, "/index.html").map(RouteTable.Match::path));
        assertEquals(Optional.of("api"), table.match(null, "/api/x").map(m -> m.route().service()));
    }
}
