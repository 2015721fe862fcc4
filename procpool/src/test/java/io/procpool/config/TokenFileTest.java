package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code admin.token-file}: the token from a file of its own, which only its owner may read. */
class TokenFileTest {

    private static final String POOL = "procpool { admin.token-file = admin.token, services.a { command = x, ports = [8000] } }\n";

    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    private Path token(String text, String mode) throws Exception {
        Path file = dir.resolve("admin.token");
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private PoolSettings load() throws Exception {
        return PoolConfigLoader.loadFile(files.write("pool.conf", POOL), dir, Map.of());
    }

    @Test
    void readsTheTokenWithoutItsTrailingNewline() throws Exception {
        token("s3cret\n", "rw-------");
        assertEquals(Optional.of("s3cret"), load().admin().token());
    }

    @Test
    void aReloadReadsTheFileAgain() throws Exception {
        token("first\n", "r--------");
        PoolSettings before = load();
        Files.delete(dir.resolve("admin.token"));
        token("second\r\n", "r--------");
        PoolSettings after = load();
        assertEquals(Optional.of("first"), before.admin().token());
        assertEquals(Optional.of("second"), after.admin().token());
        // Applied at once by the admin API, so not a change that waits for a restart.
        assertTrue(ConfigDiff.between(before, after, before).ignored().isEmpty(), ConfigDiff.between(before, after, before).ignored().toString());
    }

    @Test
    void aFileThatGroupOrOthersMayReadIsRefusedWithItsMode() throws Exception {
        Path file = token("s3cret\n", "rw-r--r--");
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", POOL));
        assertEquals("procpool.admin.token-file", e.key());
        assertTrue(e.message().startsWith(file + " has mode 0644 (rw-r--r--): a token file must not be readable or writable by "
                + "group or others; chmod 600 " + file), e.message());
        token("s3cret\n", "rw-r-----");
        assertTrue(ConfigFiles.only(files.errors("pool.conf", POOL)).message().contains("has mode 0640"));
    }

    @Test
    void aFileAnotherUserOwnsIsRefusedNamingItsOwner() throws Exception {
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        org.junit.jupiter.api.Assumptions.assumeTrue(self == 0, "only root can give a file to another user");
        Path file = token("s3cret\n", "rw-------");
        Files.setAttribute(file, "unix:uid", 65534);
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", POOL));
        assertEquals("procpool.admin.token-file", e.key());
        assertTrue(e.message().startsWith(file + " is owned by uid 65534, not by procpool's user (uid 0) or root"), e.message());
    }

    @Test
    void aMissingOrEmptyFileIsRefusedNamingIt() throws Exception {
        ConfigError missing = ConfigFiles.only(files.errors("pool.conf", POOL));
        assertEquals(dir.resolve("admin.token") + " does not exist", missing.message());
        token("\n", "rw-------");
        assertTrue(ConfigFiles.only(files.errors("pool.conf", POOL)).message().endsWith("is empty: write the token in it (one line)"));
        token("one\ntwo\n", "rw-------");
        assertTrue(ConfigFiles.only(files.errors("pool.conf", POOL)).message().endsWith("holds more than one line: the token is its only line"));
    }

    @Test
    void aTokenAndATokenFileTogetherAreAnError() throws Exception {
        token("s3cret\n", "rw-------");
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", POOL.replace("admin.token-file = admin.token",
                "admin { token = other, token-file = admin.token }")));
        assertEquals("procpool.admin.token-file", e.key());
        assertTrue(e.message().startsWith("is set and so is token"), e.message());
    }

    @Test
    void aTokenFileLetsTheAdminApiBindBeyondLoopback() throws Exception {
        token("s3cret\n", "rw-------");
        PoolSettings s = PoolConfigLoader.loadFile(files.write("pool.conf", POOL.replace("admin.token-file = admin.token",
                "admin { host = 0.0.0.0, token-file = admin.token }")), dir, Map.of());
        assertEquals("0.0.0.0", s.admin().host());
    }
}
