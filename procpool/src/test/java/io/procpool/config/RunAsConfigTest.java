package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-service process keys: user, group, umask, log.stderr and log.timestamps. */
class RunAsConfigTest {

    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    @Test
    void runsAsProcpoolItselfByDefault() throws Exception {
        ServiceSettings s = files.load("p.conf", "pool.services.a { command = a, ports = [1] }").services().get("a");
        assertEquals(RunAs.INHERIT, s.runAs());
        assertEquals(LogSettings.Stderr.MERGED, s.log().stderr());
        assertFalse(s.log().timestamps());
    }

    @Test
    void readsUserGroupUmaskAndTheLogKeys() throws Exception {
        ServiceSettings s = files.load("p.conf", """
                pool.services.a {
                  command = a, ports = [1], user = nobody, group = "65534", umask = "027"
                  log { stderr = separate, timestamps = true }
                }
                """).services().get("a");
        assertEquals(new RunAs(Optional.of("nobody"), Optional.of("65534"), OptionalInt.of(027)), s.runAs());
        assertEquals(LogSettings.Stderr.SEPARATE, s.log().stderr());
        assertTrue(s.log().timestamps());
    }

    @Test
    void anUmaskWrittenAsANumberIsReadAsOctal() throws Exception {
        ServiceSettings s = files.load("p.conf", "pool.services.a { command = a, ports = [1], umask = 022 }").services().get("a");
        assertEquals(OptionalInt.of(022), s.runAs().umask());
    }

    @Test
    void anUnknownUserIsAnErrorNamingFileServiceAndKey() throws Exception {
        ConfigError e = ConfigFiles.only(files.errors("p.conf", "pool.services.a { command = a, ports = [1],\n"
                + "  user = no-such-user-here }"));
        assertEquals("a", e.service());
        assertEquals("user", e.key());
        assertEquals("p.conf:2: service 'a', key 'user': no user 'no-such-user-here' on this machine (a name from /etc/passwd or a number)",
                files.shown(e));
    }

    @Test
    void anUnknownGroupIsAnError() throws Exception {
        ConfigError e = ConfigFiles.only(files.errors("p.conf", "pool.services.a { command = a, ports = [1], group = no-such-group-here }"));
        assertEquals("group", e.key());
        assertTrue(e.message().contains("no group 'no-such-group-here'"), e.message());
    }

    @Test
    void aDisabledServiceIsNotLookedUp() throws Exception {
        ServiceSettings s = files.load("p.conf", "pool.services.a { command = a, ports = [1], enabled = false, user = no-such-user-here }")
                .services().get("a");
        assertEquals(Optional.of("no-such-user-here"), s.runAs().user());
    }

    @Test
    void aUserWhileProcpoolIsNotRootIsAnErrorThatSaysSo() {
        List<ConfigError> errors = new ArrayList<>();
        FieldReader svc = new FieldReader(ConfigFactory.parseString("user = nobody"), "p.conf", "a", "", errors);
        RunAs.read(svc, true, false);
        ConfigError e = ConfigFiles.only(errors);
        assertEquals("user", e.key());
        assertTrue(e.message().contains("needs procpool to run as root"), e.message());
    }

    @Test
    void badUmasksAndStderrModesAreErrors() throws Exception {
        List<ConfigError> errors = files.errors("p.conf", """
                pool.services.a { command = a, ports = [1], umask = "0888", log.stderr = split }
                pool.services.b { command = b, ports = [2], umask = "u=rwx", user = "bad name" }
                """);
        assertEquals(List.of("a log.stderr", "a umask", "b umask", "b user"),
                errors.stream().map(e -> e.service() + " " + e.key()).sorted().toList());
        assertTrue(errors.stream().anyMatch(e -> e.message().contains("must be merged") && e.message().contains("\"split\"")));
    }

    @Test
    void aChangedUserOrLogModeReplacesTheInstances() {
        ServiceSettings plain = TestConfigs.service("command = a, ports = [1]");
        assertTrue(plain.runsDifferently(TestConfigs.service("command = a, ports = [1], umask = \"077\"")));
        assertTrue(plain.runsDifferently(TestConfigs.service("command = a, ports = [1], log.timestamps = true")));
        assertFalse(plain.runsDifferently(TestConfigs.service("command = a, ports = [1], log.keep = 5")));
    }
}
