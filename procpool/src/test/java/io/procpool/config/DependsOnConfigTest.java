package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code depends-on}: read per service, checked across services, every mistake named with file, line, service and key. */
class DependsOnConfigTest {

    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    @Test
    void readsTheServicesInTheOrderWritten() throws Exception {
        PoolSettings pool = files.load("pool.conf", """
                pool.services {
                  db { command = db, ports = [7001] }
                  cache { command = cache, ports = [7002] }
                  api { command = api, ports = [7003], depends-on = [db, cache] }
                }
                """);
        assertEquals(List.of("db", "cache"), pool.services().get("api").dependsOn());
        assertEquals(List.of(), pool.services().get("db").dependsOn());
    }

    @Test
    void unknownServiceIsNamedWithItsLineAndTheClosestName() throws IOException {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", """
                pool.services {
                  auth { command = auth, ports = [7001] }
                  api {
                    command = api
                    ports = [7003]
                    depends-on = [atuh]
                  }
                }
                """));
        assertEquals("pool.conf:6: service 'api', key 'depends-on': no service 'atuh' (did you mean 'auth'?); services: auth, api",
                files.shown(e));
    }

    @Test
    void selfDependencyIsRefused() throws IOException {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", """
                pool.services {
                  api { command = api, ports = [7003], depends-on = [api] }
                }
                """));
        assertEquals("pool.conf:2: service 'api', key 'depends-on': 'api' depends on itself; a service cannot wait for its own "
                + "start: remove it", files.shown(e));
    }

    @Test
    void cycleIsNamedOnceWithEveryServiceOnIt() throws IOException {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", """
                pool.services {
                  a { command = a, ports = [7001], depends-on = [b] }
                  b { command = b, ports = [7002], depends-on = [c] }
                  c { command = c, ports = [7003], depends-on = [a] }
                  d { command = d, ports = [7004], depends-on = [a] }
                }
                """));
        assertEquals("pool.conf:2: service 'a', key 'depends-on': is a cycle: a -> b -> c -> a; each would wait for the other "
                + "to start: take one of them out of the other's depends-on", files.shown(e));
    }

    @Test
    void twoServicesNamingEachOtherAreACycle() throws IOException {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", """
                pool.services {
                  web { command = w, ports = [7001], depends-on = [api] }
                  api { command = a, ports = [7002], depends-on = [web] }
                }
                """));
        assertEquals("web", e.service());
        assertTrue(e.message().startsWith("is a cycle: web -> api -> web;"), e.message());
    }

    @Test
    void aDisabledDependencyOfAnEnabledServiceIsRefused() throws Exception {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", """
                pool.services {
                  db { command = db, ports = [7001], enabled = false }
                  api { command = api, ports = [7003], depends-on = [db] }
                }
                """));
        assertEquals("pool.conf:3: service 'api', key 'depends-on': 'db' is disabled (enabled = false), so 'api' would wait for "
                + "it for ever; enable 'db', take it out of depends-on, or disable 'api' too", files.shown(e));
        PoolSettings bothOff = files.load("off.conf", """
                pool.services {
                  db { command = db, ports = [7001], enabled = false }
                  api { command = api, ports = [7003], depends-on = [db], enabled = false }
                }
                """);
        assertEquals(List.of("db"), bothOff.services().get("api").dependsOn());
    }

    @Test
    void aDependencyThatStartsNoInstanceIsRefused() throws IOException {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", """
                pool.services {
                  db { command = db, ports = [7001], min-processes = 0 }
                  api { command = api, ports = [7003], depends-on = [db] }
                }
                """));
        assertEquals("depends-on", e.key());
        assertTrue(e.message().startsWith("'db' starts no instance (min-processes = 0)"), e.message());
    }

    @Test
    void aDependencyWithMistakesOfItsOwnIsNotAlsoUnknown() throws IOException {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", """
                pool.services {
                  db { command = db, ports = [0] }
                  api { command = api, ports = [7003], depends-on = [db] }
                }
                """));
        assertEquals("db", e.service());
        assertEquals("ports[0]", e.key());
    }

    @Test
    void mustBeAListOfDistinctNames() throws IOException {
        ConfigError notAList = ConfigFiles.only(files.errors("pool.conf", """
                pool.services {
                  db { command = db, ports = [7001] }
                  api { command = api, ports = [7003], depends-on = db }
                }
                """));
        assertEquals("pool.conf:3: service 'api', key 'depends-on': must be a list of service names such as [db, cache], "
                + "got \"db\"", files.shown(notAList));
        ConfigError repeated = ConfigFiles.only(files.errors("pool.conf", """
                pool.services {
                  db { command = db, ports = [7001] }
                  api { command = api, ports = [7003], depends-on = [db, db] }
                }
                """));
        assertEquals("depends-on[1]", repeated.key());
        assertEquals("repeats 'db'", repeated.message());
    }

    @Test
    void hasNoDefault() throws IOException {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", """
                pool {
                  defaults.depends-on = [db]
                  services.db { command = db, ports = [7001] }
                }
                """));
        assertEquals("pool.conf:2: key 'pool.defaults.depends-on': cannot have a default: every service sets its own",
                files.shown(e));
    }

    @Test
    void theManifestShapeNamesItDependsOnUnderscore() throws Exception {
        PoolSettings pool = files.load("pools.json", """
                {"pools": {
                  "db": {"command": "db", "ports": [7001]},
                  "api": {"command": "api", "ports": [7003], "depends_on": ["db"]}
                }}
                """);
        assertEquals(List.of("db"), pool.services().get("api").dependsOn());
        ConfigError e = ConfigFiles.only(files.errors("bad.json", """
                {"pools": {
                  "api": {"command": "api", "ports": [7003], "depends_on": ["dbb"]}
                }}
                """));
        assertEquals("depends_on", e.key());
    }
}
