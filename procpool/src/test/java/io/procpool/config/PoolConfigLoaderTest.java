package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolConfigLoaderTest {

    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    private Path write(String name, String text) throws IOException {
        return files.write(name, text);
    }

    private PoolSettings load(String name, String text) throws Exception {
        return files.load(name, text);
    }

    private List<ConfigError> errors(String name, String text) throws IOException {
        return files.errors(name, text);
    }

    private String shown(ConfigError e) {
        return files.shown(e);
    }

    private static ConfigError only(List<ConfigError> errors) {
        return ConfigFiles.only(errors);
    }

    @Test
    void anUnknownTopLevelKeyIsSaidWithEveryOtherErrorOfTheFile() throws IOException {
        List<ConfigError> errors = errors("pool.conf", """
                procpol.x = 1
                procpool {
                  admn { port = 1 }
                  services.a { command = a, ports = [7201], colour = red }
                }
                """);
        assertEquals(List.of(
                "pool.conf:1: key 'procpol': unknown top-level key (did you mean 'procpool'?); procpool reads 'procpool' (or "
                        + "'pool', its older name), and 'pekko' to tune its actor system",
                "pool.conf:3: key 'procpool.admn': unknown key (did you mean 'admin'?); valid keys here: admin, "
                        + "children-die-with-manager, cluster, defaults, dispatchers, feeds, gateway, services, startup-timeout, "
                        + "state-dir, watch-config",
                "pool.conf:4: service 'a', key 'colour': unknown key; valid keys here: command, depends-on, drain, enabled, env, "
                        + "group, health-check, limits, log, max-processes, min-processes, placement, ports, restart, route, "
                        + "scaling, stop, umask, user, working-dir"),
                errors.stream().map(this::shown).toList());
        ConfigError alone = only(errors("alone.conf", "pol { services.a { command = a, ports = [7202] } }\n"));
        assertEquals("pol", alone.key(), "without a procpool section, the unknown key is the one error: " + alone);
    }

    @Test
    void aBadDefaultIsOneErrorOfTheDefaultsNotOnePerService() throws IOException {
        List<ConfigError> errors = errors("pool.conf", """
                procpool {
                  defaults { stop.timeout = banana, helth-check = "/" }
                  defaults.restart.max-restarts = -1
                  services {
                    a { command = a, ports = [7101] }
                    b { command = b, ports = [7102], stop.timeout = 5s }
                    c { command = c, ports = [7103], restart.max-restarts = -2 }
                  }
                }
                """);
        assertEquals(List.of(
                "pool.conf:7: service 'c', key 'restart.max-restarts': must be between 0 and 1000000, got -2",
                "pool.conf:2: key 'procpool.defaults.helth-check': unknown key (did you mean 'health-check'?); valid keys here: "
                        + "command, depends-on, drain, enabled, env, group, health-check, limits, log, max-processes, min-processes, "
                        + "placement, ports, restart, route, scaling, stop, umask, user, working-dir",
                "pool.conf:2: key 'procpool.defaults.stop.timeout': must be a duration such as 500ms, 10s or 5m, got \"banana\" "
                        + "(the default of a, c)",
                "pool.conf:3: key 'procpool.defaults.restart.max-restarts': must be between 0 and 1000000, got -1 (the default of a, b)"),
                errors.stream().map(this::shown).sorted(java.util.Comparator.comparing((String e) -> !e.contains("service '"))).toList());
    }

    @Test
    void readsAServiceWithDefaultsFilledIn() throws Exception {
        PoolSettings pool = load("pool.conf", """
                pool.services.search {
                  command = "./build/search.cgi --port {port}"
                  ports = [8000, 8001]
                  min-processes = 1
                  health-check = "/?q=health"
                }
                """);
        ServiceSettings s = pool.services().get("search");
        assertEquals(List.of("./build/search.cgi", "--port", "{port}"), s.command());
        assertEquals(List.of("./build/search.cgi", "--port", "8001"), s.commandFor(8001));
        assertEquals(List.of(8000, 8001), s.ports());
        assertEquals(1, s.minProcesses());
        assertEquals(2, s.maxProcesses());
        assertEquals(new HttpProbe("/?q=health", StatusRange.parse("2xx").orElseThrow(), true), s.health().probe());
        assertEquals(Duration.ofMillis(100), s.restart().minBackoff());
        assertEquals(Duration.ofSeconds(30), s.restart().maxBackoff());
        assertEquals(0.2, s.restart().randomFactor());
        assertEquals(10, s.restart().maxRestarts());
        assertEquals(Duration.ofMinutes(5), s.restart().cooldown());
        assertEquals(new StopSettings(Signal.TERM, Duration.ofSeconds(10)), s.stop());
        assertEquals(new LogSettings(10L * 1024 * 1024, 3), s.log());
        assertEquals(dir, s.workingDir());
        assertEquals(dir.resolve("var/procpool"), pool.stateDir());
        assertEquals("8001", s.envFor(8001).get("PORT"));
        assertTrue(s.enabled());
        assertEquals(9900, pool.admin().port());
    }

    @Test
    void poolDefaultsAreMergedUnderEveryService() throws Exception {
        PoolSettings pool = load("pool.conf", """
                pool {
                  defaults { stop.timeout = 3s, restart { max-restarts = 4 }, env { MODE = prod } }
                  services {
                    a { command = "a", ports = [9001], restart.max-restarts = 7 }
                    b { command = "b", ports = [9002], env { EXTRA = "{port}" } }
                  }
                }
                """);
        assertEquals(7, pool.services().get("a").restart().maxRestarts());
        assertEquals(4, pool.services().get("b").restart().maxRestarts());
        assertEquals(Duration.ofSeconds(3), pool.services().get("a").stop().timeout());
        assertEquals(Map.of("MODE", "prod", "EXTRA", "9002", "PORT", "9002"), pool.services().get("b").envFor(9002));
    }

    @Test
    void missingMinAndMaxMeanEveryPort() throws Exception {
        ServiceSettings s = load("p.conf", "pool.services.x { command = x, ports = [7001, 7002, 7003] }").services().get("x");
        assertEquals(3, s.minProcesses());
        assertEquals(3, s.maxProcesses());
    }

    @Test
    void commandMayBeAListOfWords() throws Exception {
        ServiceSettings s = load("p.conf", "pool.services.x { command = [sh, -c, \"exec srv {port} | tee\"], ports = [7001] }")
                .services().get("x");
        assertEquals(List.of("sh", "-c", "exec srv 7001 | tee"), s.commandFor(7001));
    }

    @Test
    void readsTheSeedManifestUnchanged() throws Exception {
        PoolSettings pool = load("manifest.json", """
                {"pools": {
                  "search": {"command": "./build/search.cgi", "ports": [8000, 8001],
                             "min_processes": 1, "max_processes": 2, "health_check": "/?q=health"},
                  "python_cgi": {"command": "python3 ./discovery/samples/python/sample_python_cgi.py",
                                 "ports": [8003], "min_processes": 1, "max_processes": 1,
                                 "health_check": "/?service=health"}
                }}
                """);
        assertEquals(List.of("search", "python_cgi"), List.copyOf(pool.services().keySet()));
        ServiceSettings py = pool.services().get("python_cgi");
        assertEquals(List.of("python3", "./discovery/samples/python/sample_python_cgi.py"), py.command());
        assertEquals(1, py.maxProcesses());
        assertEquals("/?service=health", ((HttpProbe) py.health().probe()).path());
        assertEquals(2, pool.services().get("search").maxProcesses());
    }

    @Test
    void manifestTyposAreReportedWithTheirLine() throws IOException {
        ConfigError e = only(errors("m.json", """
                {"pools": {
                  "auth": {"command": "./build/auth.cgi", "ports": [8002],
                           "min_procesess": 1}
                }}
                """));
        assertEquals("auth", e.service());
        // Named as the manifest writes them, not as procpool's own files do.
        assertEquals("min_procesess", e.key());
        assertEquals(3, e.line());
        assertTrue(e.message().contains("did you mean 'min_processes'"), e.message());
    }

    @Test
    void unknownKeyNamesFileServiceKeyAndSuggestion() throws IOException {
        ConfigError e = only(errors("pool.conf", """
                pool.services.search {
                  command = "./s"
                  prots = [8000]
                  ports = [8000]
                }
                """));
        String text = e.render();
        assertTrue(text.startsWith(dir.resolve("pool.conf") + ":3: service 'search', key 'prots'"), text);
        assertTrue(text.contains("did you mean 'ports'"), text);
    }

    @Test
    void unknownNestedKeyIsNamedWithItsPath() throws IOException {
        ConfigError e = only(errors("pool.conf", "pool.services.s { command = x, ports = [1], restart { max-restart = 3 } }"));
        assertEquals("restart.max-restart", e.key());
        assertTrue(e.message().contains("did you mean 'max-restarts'"), e.message());
    }

    @Test
    void reportsEveryErrorAtOnce() throws IOException {
        List<ConfigError> errs = errors("pool.conf", """
                pool.services {
                  a { command = "", ports = [0, 70000], min-processes = 3, max-processes = 1 }
                  b { command = "b", ports = "8000", stop.signal = USR1, restart.min-backoff = fast }
                }
                """);
        List<String> keys = errs.stream().map(e -> e.service() + "/" + e.key()).toList();
        assertTrue(keys.containsAll(List.of("a/command", "a/ports[0]", "a/ports[1]", "a/min-processes",
                "b/ports", "b/stop.signal", "b/restart.min-backoff")), keys.toString());
    }

    @Test
    void oneMistakeIsOneErrorWithItsLine() throws IOException {
        ConfigError negative = only(errors("pool.conf", """
                pool.services.web {
                  command = "./web"
                  ports = [8000, 8001]
                  max-processes = -1
                }
                """));
        assertEquals("pool.conf:4: service 'web', key 'max-processes': must be between 1 and 65535, got -1", shown(negative));
        ConfigError missing = only(errors("pool.conf", """
                pool.services {
                  web {
                    ports = [8000]
                  }
                }
                """));
        assertEquals(2, missing.line(), "a missing key is reported on its service's line: " + missing.render());
        assertEquals("command", missing.key());
        ConfigError minAboveMax = only(errors("pool.conf", """
                pool.services.web {
                  command = "./web", ports = [8000, 8001, 8002]
                  max-processes = 2
                  min-processes = 3
                }
                """));
        assertEquals("pool.conf:4: service 'web', key 'min-processes': (3) must not exceed max-processes (2)", shown(minAboveMax));
        ConfigError maxBelowDefaultMin = only(errors("pool.conf", """
                pool.services.web {
                  command = "./web", ports = [8000, 8001]
                  max-processes = 1
                }
                """));
        assertEquals("pool.conf:3: service 'web', key 'max-processes': (1) must not be below min-processes (2, every port "
                + "by default): set min-processes too", shown(maxBelowDefaultMin));
        ConfigError backoff = only(errors("pool.conf", """
                pool.services.web { command = "./web", ports = [8000]
                  restart { min-backoff = 5m, max-backoff = soon }
                }
                """));
        assertEquals("restart.max-backoff", backoff.key(), "not also 'must not be less than min-backoff': " + backoff.render());
    }

    @Test
    void portsMustBeUniqueAcrossServices() throws IOException {
        ConfigError e = only(errors("pool.conf", """
                pool.services { a { command = a, ports = [8000] }, b { command = b, ports = [8001, 8000] } }
                """));
        assertEquals("b", e.service());
        assertEquals(1, e.line());
        assertTrue(e.message().contains("already used by service 'a'"), e.message());
    }

    @Test
    void maxMayNotExceedThePorts() throws IOException {
        ConfigError e = only(errors("p.conf", "pool.services.a { command = a, ports = [8000], max-processes = 2 }"));
        assertEquals("max-processes", e.key());
    }

    @Test
    void adminPortMayNotBeAServicePort() throws IOException {
        ConfigError e = only(errors("p.conf", "pool { admin.port = 8000, services.a { command = a, ports = [8000] } }"));
        assertEquals("pool.admin.port", e.key());
    }

    @Test
    void durationsMustBePositive() throws IOException {
        List<ConfigError> errs = errors("p.conf", "pool.services.a { command = a, ports = [1], stop.timeout = 0s, restart.reset-after = -1s }");
        assertEquals(List.of("restart.reset-after", "stop.timeout"), errs.stream().map(ConfigError::key).sorted().toList());
    }

    @Test
    void startupTimeoutIsAMinuteByDefaultAndMustBeAPositiveDuration() throws Exception {
        assertEquals(Duration.ofSeconds(60), load("p.conf", "pool.services.a { command = a, ports = [1] }").startupTimeout());
        assertEquals(Duration.ofMinutes(5), load("p.conf", "pool { startup-timeout = 5m, services.a { command = a, ports = [1] } }")
                .startupTimeout());
        ConfigError e = only(errors("p.conf", "pool { startup-timeout = soon, services.a { command = a, ports = [1] } }"));
        assertEquals("pool.startup-timeout", e.key());
        assertTrue(e.message().contains("must be a duration such as 500ms, 10s or 5m"), e.message());
        assertEquals("pool.startup-timeout", only(errors("p.conf", "pool { startup-timeout = 0s, services.a { command = a, ports = [1] } }")).key());
    }

    @Test
    void zeroMinBackoffAndZeroCooldownAreAllowed() throws Exception {
        ServiceSettings s = load("p.conf", "pool.services.a { command = a, ports = [1], restart { min-backoff = 0, cooldown = 0 } }")
                .services().get("a");
        assertEquals(Duration.ZERO, s.restart().minBackoff());
        assertFalse(s.restart().retriesAfterCooldown());
    }

    @Test
    void shellOperatorsInACommandStringAreRejected() throws IOException {
        ConfigError e = only(errors("p.conf", "pool.services.a { command = \"srv | tee log\", ports = [1] }"));
        assertEquals("command", e.key());
        assertTrue(e.message().contains("shell operator '|'"), e.message());
    }

    @Test
    void wrongTypesAreNamed() throws IOException {
        List<ConfigError> errs = errors("p.conf", """
                pool.services.a { command = a, ports = [1], enabled = maybe, restart = 5, env { X { y = 1 } } }
                """);
        List<String> keys = errs.stream().map(ConfigError::key).sorted().toList();
        assertEquals(List.of("enabled", "env.X", "restart"), keys);
    }

    @Test
    void missingWorkingDirIsAnError() throws IOException {
        ConfigError e = only(errors("p.conf", "pool.services.a { command = a, ports = [1], working-dir = nowhere }"));
        assertEquals("working-dir", e.key());
    }

    @Test
    void serviceNamesMustBeSafeForFilesAndUrls() throws IOException {
        ConfigError e = only(errors("p.conf", "pool.services { \"a/b\" { command = a, ports = [1] } }"));
        assertEquals("a/b", e.service());
    }

    @Test
    void publicAdminWithoutTokenIsAnError() throws IOException {
        ConfigError e = only(errors("p.conf", "pool.admin.host = \"0.0.0.0\""));
        assertEquals("pool.admin.host", e.key());
        assertTrue(e.message().contains("token"), e.message());
    }

    @Test
    void unknownTopLevelKeyIsAnError() throws IOException {
        ConfigError e = only(errors("p.conf", "pol { services {} }"));
        assertEquals("pol", e.key());
        assertTrue(e.message().contains("did you mean 'pool'"), e.message());
    }

    @Test
    void syntaxErrorsNameFileAndLine() throws IOException {
        ConfigError e = only(errors("p.conf", "pool {\n  services {\n    a { command = \"x }\n"));
        assertTrue(e.render().startsWith(dir.resolve("p.conf").toString()), e.render());
        assertTrue(e.line() > 0, e.render());
    }

    @Test
    void missingFileIsAnError() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> PoolConfigLoader.loadFile(dir.resolve("none.conf"), dir));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void aFileThatIsNotUtf8IsRejectedWithTheLineOfTheBadByte() throws Exception {
        Path file = dir.resolve("latin1.conf");
        Files.write(file, "pool.services.a {\n  command = \"caf\u00e9\"\n}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> PoolConfigLoader.loadFile(file, dir));
        ConfigError err = only(e.errors());
        assertEquals(2, err.line());
        assertTrue(err.render().contains("is not UTF-8 text") && err.render().contains("0xe9"), err.render());
    }

    @Test
    void aFileWithoutAPoolSectionIsAnError() throws Exception {
        ConfigError e = only(errors("empty.conf", "# nothing yet\n"));
        assertEquals("procpool", e.key());
        assertTrue(e.render().contains("empty.conf") && e.render().contains("no 'procpool' section"), e.render());
    }

    @Test
    void aCommandThatIsANumberOrTooLongForLinuxIsAnError() throws Exception {
        ConfigError number = only(errors("n.conf", "pool.services.a { command = 42, ports = [8000] }\n"));
        assertEquals("command", number.key());
        assertTrue(number.message().contains("not a number"), number.message());
        ConfigError longName = only(errors("l.conf", "pool.services.a { command = \"" + "x".repeat(5000) + "\", ports = [8000] }\n"));
        assertTrue(longName.message().contains("longer than the 4096 bytes"), longName.message());
    }

    @Test
    void aCommandWordLongerThanLinuxPassesIsAnError() throws Exception {
        ConfigError word = only(errors("w.conf", "pool.services.a { command = [\"/bin/echo\", \"" + "y".repeat(130 * 1024)
                + "\"], ports = [8000] }\n"));
        assertEquals("command", word.key());
        assertTrue(word.message().contains("has a word of 133120 characters"), word.message());
    }

    @Test
    void aStateDirThatIsAFileIsAConfigurationError() throws Exception {
        write("taken", "a file, not a directory");
        ConfigError e = only(errors("s.conf", "pool { state-dir = \"taken\", services.a { command = x, ports = [8000] } }\n"));
        assertEquals("pool.state-dir", e.key());
        assertTrue(e.render().contains("s.conf"), e.render());
    }

    @Test
    void scalingAndLimitsAreValidated() throws Exception {
        List<ConfigError> errs = errors("sc.conf", """
                pool.services {
                  fixed { command = x, ports = [8000], scaling.enabled = true }
                  metric { command = x, ports = [8001, 8002], min-processes = 1, scaling { enabled = true, metric = memory } }
                  limit { command = x, ports = [8003], limits { max-rss = lots, for = -1s } }
                }
                """);
        assertEquals(List.of("fixed:scaling.enabled", "limit:limits.for", "limit:limits.max-rss", "metric:scaling.metric"),
                errs.stream().map(e -> e.service() + ":" + e.key()).sorted().toList(), errs.toString());
        assertTrue(errs.stream().anyMatch(e -> e.message().startsWith("scales nothing")), errs.toString());
        assertTrue(errs.stream().anyMatch(e -> e.message().contains("must be cpu, latency or in-flight, got \"memory\"")), errs.toString());
    }

    @Test
    void aBinaryFileIsNotAConfiguration() throws Exception {
        Path file = dir.resolve("blob.conf");
        Files.write(file, new byte[] {'p', 'o', 0, 1, 2});
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> PoolConfigLoader.loadFile(file, dir));
        assertTrue(only(e.errors()).render().contains("not a text file"), e.errors().toString());
    }
}
