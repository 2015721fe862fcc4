package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigDiffTest {

    private static final String BASE = """
            services {
              keep { command = "k", ports = [1] }
              scale { command = "s", ports = [2, 3], min-processes = 1 }
              cmd { command = "c", ports = [4] }
              env { command = "e", ports = [5], env { A = 1 } }
              gone { command = "g", ports = [6] }
              off { command = "o", ports = [7], enabled = false }
            }
            """;

    @Test
    void classifiesEveryServiceByWhatARunningPoolMustDo() {
        PoolSettings before = TestConfigs.pool(BASE);
        PoolSettings after = TestConfigs.pool("""
                services {
                  keep { command = "k", ports = [1] }
                  scale { command = "s", ports = [2, 3, 8], min-processes = 1, max-processes = 3, health-check.interval = 5s }
                  cmd { command = "c --verbose", ports = [4] }
                  env { command = "e", ports = [5], env { A = 2 } }
                  off { command = "o", ports = [7] }
                  fresh { command = "f", ports = [9] }
                }
                """);
        ConfigDiff d = ConfigDiff.between(before, after, before);
        assertEquals(List.of("off", "fresh"), d.added());
        assertEquals(List.of("gone"), d.removed());
        assertEquals(List.of("cmd", "env"), d.rolled());
        assertEquals(List.of("scale"), d.adjusted());
        assertEquals(List.of("keep"), d.unchanged());
        assertEquals(List.of(), d.ignored());
        assertEquals("added: fresh; enabled: off; removed: gone; rolled: cmd, env; adjusted: scale; unchanged: keep", d.summary(),
                "a service that was there, disabled, is enabled, not added");
    }

    @Test
    void disablingAServiceRemovesIt() {
        PoolSettings before = TestConfigs.pool(BASE);
        PoolSettings after = TestConfigs.pool(BASE.replace("keep { command = \"k\", ports = [1] }",
                "keep { command = \"k\", ports = [1], enabled = false }"));
        ConfigDiff d = ConfigDiff.between(before, after, before);
        assertEquals(List.of("keep"), d.removed(), "stopped as a removed one is");
        assertTrue(d.summary().contains("disabled: keep") && !d.summary().contains("removed"), d.summary());
    }

    @Test
    void poolLevelChangesAreReportedAsNeedingARestart() {
        PoolSettings before = TestConfigs.pool(BASE);
        PoolSettings after = TestConfigs.pool("admin.port = 9911\nwatch-config = true\nchildren-die-with-manager = false\n"
                + "gateway.port = 9081\nstartup-timeout = 2m\n" + BASE);
        ConfigDiff d = ConfigDiff.between(before, after, before);
        assertEquals(5, d.ignored().size(), d.ignored().toString());
        assertTrue(d.ignored().contains("pool.startup-timeout changed: it counts at procpool's next start"), d.ignored().toString());
        assertTrue(d.ignored().stream().anyMatch(w -> w.startsWith("pool.gateway changed")), d.ignored().toString());
        assertTrue(d.ignored().stream().anyMatch(w -> w.startsWith("pool.watch-config changed")), d.ignored().toString());
        assertEquals(List.of("keep", "scale", "cmd", "env", "gone"), d.unchanged());
    }

    @Test
    void settingsOnlyARestartAppliesAreComparedWithWhatTheStartTook() {
        PoolSettings started = TestConfigs.pool(BASE);
        PoolSettings moved = TestConfigs.pool("admin.port = 9911\n" + BASE);
        assertEquals(List.of(), ConfigDiff.between(moved, started, started).ignored(), "put back: nothing waits for a restart");
        assertEquals(1, ConfigDiff.between(moved, moved, started).ignored().size(), "kept: it still waits for a restart");
        assertTrue(ConfigDiff.between(moved, moved, started).ignored().get(0).startsWith("pool.admin changed"));
    }

    @Test
    void anIdenticalConfigurationChangesNothing() {
        ConfigDiff d = ConfigDiff.between(TestConfigs.pool(BASE), TestConfigs.pool(BASE), TestConfigs.pool(BASE));
        assertEquals(5, d.unchanged().size());
        assertEquals(List.of(), d.added());
    }
}
