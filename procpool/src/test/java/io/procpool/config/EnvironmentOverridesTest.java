package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The environment over the pool file: procpool's own variables and CONFIG_FORCE_. */
class EnvironmentOverridesTest {

    private static final String FILE = """
            procpool {
              admin { port = 9901, token = from-file }
              state-dir = var/from-file
              services.web { command = x, ports = [8000, 8001] }
            }
            """;

    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    private PoolSettings load(String text, Map<String, String> env) throws Exception {
        return PoolConfigLoader.loadFile(files.write("pool.conf", text), dir, env);
    }

    private List<ConfigError> errors(String text, Map<String, String> env) throws Exception {
        Path file = files.write("pool.conf", text);
        return assertThrows(InvalidConfigException.class, () -> PoolConfigLoader.loadFile(file, dir, env)).errors();
    }

    @Test
    void procpoolsVariablesWinOverTheFile() throws Exception {
        PoolSettings s = load(FILE, Map.of("PROCPOOL_ADMIN_PORT", "9902", "PROCPOOL_ADMIN_HOST", "127.0.0.2",
                "PROCPOOL_ADMIN_TOKEN", "from-env", "PROCPOOL_STATE_DIR", "var/from-env"));
        assertEquals(9902, s.admin().port());
        assertEquals("127.0.0.2", s.admin().host());
        assertEquals(Optional.of("from-env"), s.admin().token());
        assertEquals(dir.resolve("var/from-env"), s.stateDir());
    }

    @Test
    void withoutVariablesTheFileHolds() throws Exception {
        PoolSettings s = load(FILE, Map.of("PROCPOOL_ADMIN_PORT", "", "HOME", "/root"));
        assertEquals(9901, s.admin().port());
        assertEquals(Optional.of("from-file"), s.admin().token());
    }

    @Test
    void configForceSetsAnyKeyUnderTheKeyTheFileWrote() throws Exception {
        Map<String, String> env = Map.of("CONFIG_FORCE_procpool_admin_port", "9903",
                "CONFIG_FORCE_procpool_services_web_min__processes", "1",
                "CONFIG_FORCE_other_app_key", "ignored");
        PoolSettings now = load(FILE, env);
        assertEquals(9903, now.admin().port());
        assertEquals(1, now.services().get("web").minProcesses());
        PoolSettings old = load(FILE.replaceFirst("procpool \\{", "pool {"), env);
        assertEquals(9903, old.admin().port());
        assertEquals(1, old.services().get("web").minProcesses());
    }

    @Test
    void configForceWinsOverProcpoolsOwnVariable() throws Exception {
        PoolSettings s = load(FILE, Map.of("PROCPOOL_ADMIN_PORT", "9904", "CONFIG_FORCE_procpool_admin_port", "9905"));
        assertEquals(9905, s.admin().port());
    }

    @Test
    void aBadValueFromTheEnvironmentNamesTheVariable() throws Exception {
        ConfigError e = ConfigFiles.only(errors(FILE, Map.of("PROCPOOL_ADMIN_PORT", "ninety")));
        assertEquals("environment variable PROCPOOL_ADMIN_PORT (over pool.conf): key 'procpool.admin.port': must be a whole "
                + "number, got \"ninety\"", files.shown(e));
        ConfigError forced = ConfigFiles.only(errors(FILE, Map.of("CONFIG_FORCE_procpool_services_web_max__processes", "0")));
        assertTrue(forced.render().startsWith("environment variable CONFIG_FORCE_procpool_services_web_max__processes"),
                forced.render());
    }

    @Test
    void aBadDefaultFromTheEnvironmentIsOneErrorThatNamesTheVariable() throws Exception {
        ConfigError e = ConfigFiles.only(errors(FILE.replace("services.web", "services.api { command = y, ports = [8002] }\n"
                + "  services.web"), Map.of("CONFIG_FORCE_procpool_defaults_stop_timeout", "banana")));
        assertEquals("environment variable CONFIG_FORCE_procpool_defaults_stop_timeout (over pool.conf): key "
                + "'procpool.defaults.stop.timeout': must be a duration such as 500ms, 10s or 5m, got \"banana\" (the default of every "
                + "service)", files.shown(e));
    }

    @Test
    void underscoresMapAsTypesafeConfigMapsThem() {
        assertEquals("procpool.admin.port", EnvironmentOverrides.pathOf("CONFIG_FORCE_procpool_admin_port"));
        assertEquals("procpool.state-dir", EnvironmentOverrides.pathOf("CONFIG_FORCE_procpool_state__dir"));
        assertEquals("procpool.services.my_app.env.A", EnvironmentOverrides.pathOf("CONFIG_FORCE_procpool_services_my___app_env_A"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EnvironmentOverrides.pathOf("CONFIG_FORCE_a____b"));
        assertTrue(e.getMessage().startsWith("has 4 underscores in a row"), e.getMessage());
    }

    @Test
    void aVariableThatMapsToNoKeyIsAnErrorNamingIt() throws Exception {
        ConfigError e = ConfigFiles.only(errors(FILE, Map.of("CONFIG_FORCE_procpool_admin____port", "1")));
        assertEquals("environment variable CONFIG_FORCE_procpool_admin____port", e.file());
    }

    @Test
    void theEnvironmentsTokenReplacesTheFilesTokenFile() throws Exception {
        String file = FILE.replace("token = from-file", "token-file = missing.token");
        PoolSettings s = load(file, Map.of("PROCPOOL_ADMIN_TOKEN", "from-env"));
        assertEquals(Optional.of("from-env"), s.admin().token());
    }

    @Test
    void theEnvironmentsTokenFileReplacesTheFilesToken() throws Exception {
        Path token = dir.resolve("admin.token");
        Files.writeString(token, "from-token-file\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        PoolSettings s = load(FILE, Map.of("PROCPOOL_ADMIN_TOKEN_FILE", token.toString()));
        assertEquals(Optional.of("from-token-file"), s.admin().token());
    }

    @Test
    void aTokenGivenTwoWaysInTheEnvironmentIsAnError() throws Exception {
        ConfigError e = ConfigFiles.only(errors(FILE, Map.of("PROCPOOL_ADMIN_TOKEN", "a", "PROCPOOL_ADMIN_TOKEN_FILE", "b")));
        assertEquals("environment variable PROCPOOL_ADMIN_TOKEN: is set, and so is PROCPOOL_ADMIN_TOKEN_FILE; give the admin "
                + "token one way, not both", e.render());
    }
}
