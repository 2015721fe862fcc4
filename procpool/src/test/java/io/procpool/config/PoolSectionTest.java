package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool section's top key: {@code procpool}, or {@code pool}, its older name. */
class PoolSectionTest {

    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    @Test
    void procpoolIsTheTopKeyAndErrorsNameIt() throws Exception {
        PoolSettings s = files.load("p.conf", "procpool { admin.port = 9911, services.a { command = x, ports = [8000] } }\n");
        assertEquals(9911, s.admin().port());
        assertEquals("procpool", s.key());
        files.write("taken", "a file");
        ConfigError e = ConfigFiles.only(files.errors("p.conf", "procpool { state-dir = taken, services.a { command = x, ports = [8000] } }\n"));
        assertEquals("procpool.state-dir", e.key());
    }

    @Test
    void poolStillWorksAndErrorsNameTheKeyTheFileWrote() throws Exception {
        PoolSettings s = files.load("p.conf", "pool { admin.port = 9912, services.a { command = x, ports = [8000] } }\n");
        assertEquals(9912, s.admin().port());
        assertEquals("pool", s.key());
        assertEquals("pool.admin", s.named("admin"));
        ConfigError e = ConfigFiles.only(files.errors("p.conf", "pool { admin { port = 9913, colour = red } }\n"));
        assertEquals("pool.admin.colour", e.key());
    }

    @Test
    void aFileWithBothKeysIsAnErrorNamingTheFileAndBoth() throws Exception {
        ConfigError e = ConfigFiles.only(files.errors("both.conf", """
                procpool { admin.port = 9914 }
                pool {
                  services.a { command = x, ports = [8000] }
                }
                """));
        assertEquals("both.conf:2: has both 'procpool' (line 1) and 'pool' (line 2): 'pool' is the older name of 'procpool', "
                + "and a file holds one of them; move what is under 'pool' into 'procpool'", files.shown(e));
    }

    @Test
    void dispatchersAreTunedUnderProcpoolOnly() throws Exception {
        Config c = PoolConfigLoader.parseFile(files.write("d.conf", """
                procpool {
                  dispatchers.stream.fork-join-executor.parallelism-max = 4
                  services.a { command = x, ports = [8000] }
                }
                """), Map.of());
        assertEquals(4, c.getInt("procpool.dispatchers.stream.fork-join-executor.parallelism-max"));
        assertEquals(2, c.getInt("procpool.dispatchers.blocking.thread-pool-executor.fixed-pool-size"));
        ConfigError old = ConfigFiles.only(files.errors("o.conf", "pool { dispatchers.stream.throughput = 4 }\n"));
        assertEquals("pool.dispatchers", old.key());
        assertTrue(old.message().startsWith("unknown key"), old.message());
    }

    @Test
    void anApplicationsOwnPoolBesideProcpoolIsLeftAlone() throws Exception {
        Config app = ConfigFactory.parseString("""
                pool { size = 10 }   # the application's database pool
                procpool.services.a { command = x, ports = [8000] }
                """);
        PoolSettings s = PoolConfigLoader.fromConfig(app, "application.conf", dir);
        assertEquals(List.of("a"), List.copyOf(s.services().keySet()));
        assertEquals("procpool", s.key());
    }

    @Test
    void anApplicationsPoolIsReadWhenNothingIsSetUnderProcpool() throws Exception {
        PoolSettings s = PoolConfigLoader.fromConfig(ConfigFactory.parseString("pool.services.a { command = x, ports = [8000] }"),
                "application.conf", dir);
        assertEquals(List.of("a"), List.copyOf(s.services().keySet()));
        assertEquals("pool", s.key());
    }

    @Test
    void systemPropertiesThatAreNotPoolKeysAreNotTakenForThem() throws Exception {
        // As ConfigFactory.load() gives them: -Dprocpool.launcher=process-builder is a flag of the JVM.
        Config props = ConfigFactory.parseString("procpool.launcher = process-builder\nprocpool.admin.port = 9915",
                ConfigParseOptions.defaults().setOriginDescription("system properties"));
        PoolSettings s = PoolConfigLoader.fromConfig(props.withFallback(ConfigFactory.parseString(
                "procpool.services.a { command = x, ports = [8000] }")), "application.conf", dir);
        assertEquals(9915, s.admin().port());
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> PoolConfigLoader.fromConfig(
                ConfigFactory.parseString("procpool.launcher = process-builder"), "application.conf", dir));
        assertEquals("procpool.launcher", ConfigFiles.only(e.errors()).key());
    }

    @Test
    void dashDProcpoolOverridesAFileUnderTheOlderName() throws Exception {
        // What ConfigFactory.defaultReference() gives when the JVM runs with -Dprocpool.admin.port=9916:
        // the system properties laid over procpool's reference.conf.
        Config reference = ConfigFactory.parseString("procpool.admin.port = 9916",
                ConfigParseOptions.defaults().setOriginDescription("system properties")).withFallback(ConfigFactory.defaultReference());
        Config file = ConfigFactory.parseString("pool { admin.port = 9912, services.a { command = x, ports = [8000] } }");
        PoolSettings s = PoolConfigLoader.fromConfig(file.withFallback(reference), "p.conf", dir);
        assertEquals("pool", s.key());
        assertEquals(List.of("a"), List.copyOf(s.services().keySet()));
        assertEquals(9916, s.admin().port());
        assertFalse(PoolSection.setByApplication(reference.getConfig("procpool")));
    }

    @Test
    void realDashDOverridesReachAFileUnderEitherName() throws Exception {
        // As `java -Dprocpool.admin.port=9917 -Dprocpool.dispatchers.stream.throughput=7 -jar ... run` gives them.
        System.setProperty("procpool.admin.port", "9917");
        System.setProperty("procpool.dispatchers.stream.throughput", "7");
        ConfigFactory.invalidateCaches();
        try {
            for (String key : List.of("pool", "procpool")) {
                Path file = files.write(key + ".conf", key + " { admin.port = 9912, services.a { command = x, ports = [8000] } }\n");
                Config c = PoolConfigLoader.parseFile(file, Map.of());
                PoolSettings s = PoolConfigLoader.fromConfig(c, file.toString(), dir);
                assertEquals(key, s.key());
                assertEquals(List.of("a"), List.copyOf(s.services().keySet()));
                assertEquals(9917, s.admin().port());
                assertEquals(7, c.getInt("procpool.dispatchers.stream.throughput"));
            }
        } finally {
            System.clearProperty("procpool.admin.port");
            System.clearProperty("procpool.dispatchers.stream.throughput");
            ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void theEnvironmentStillWinsOverDashDUnderEitherName() throws Exception {
        // docs/configuration.md: the environment overrides the file and -D. Under the older name the
        // -D values were laid over the section a second time, over what the environment had set.
        System.setProperty("procpool.admin.port", "9917");
        ConfigFactory.invalidateCaches();
        try {
            for (String key : List.of("pool", "procpool")) {
                Path file = files.write(key + "-env.conf", key + " { admin.port = 9912, services.a { command = x, ports = [8000] } }\n");
                Config c = PoolConfigLoader.parseFile(file, Map.of("PROCPOOL_ADMIN_PORT", "9000"));
                assertEquals(9000, PoolConfigLoader.fromConfig(c, file.toString(), dir).admin().port(), key);
            }
        } finally {
            System.clearProperty("procpool.admin.port");
            ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void procpoolsDefaultsAreNotSettingsOfTheApplication() {
        assertFalse(PoolSection.setByApplication(ConfigFactory.defaultReference().getConfig("procpool")));
        assertTrue(PoolSection.setByApplication(ConfigFactory.parseString("procpool.watch-config = false")
                .withFallback(ConfigFactory.defaultReference()).getConfig("procpool")));
    }
}
