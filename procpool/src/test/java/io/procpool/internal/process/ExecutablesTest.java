package io.procpool.internal.process;

import io.procpool.spi.LaunchException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutablesTest {

    @TempDir
    Path dir;

    @Test
    void findsABareNameOnThePath() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path tool = Files.createFile(bin.resolve("tool"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertEquals(tool, Executables.resolve("tool", dir, Map.of("PATH", "/nonexistent:" + bin)));
    }

    @Test
    void resolvesAPathAgainstTheWorkingDir() throws Exception {
        Path prog = Files.createFile(dir.resolve("prog"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        assertEquals(prog, Executables.resolve("./prog", dir, Map.of()));
    }

    @Test
    void aMissingRuntimeIsReportedAsCommandNotFound() {
        LaunchException e = assertThrows(LaunchException.class,
                () -> Executables.resolve("dotnet-script", dir, Map.of("PATH", dir.toString())));
        assertEquals("command not found: dotnet-script", e.getMessage());
        assertTrue(e.permanent());
    }

    @Test
    void aFileWithoutExecutePermissionIsNamed() throws Exception {
        Files.writeString(dir.resolve("script.sh"), "echo");
        LaunchException e = assertThrows(LaunchException.class, () -> Executables.resolve("./script.sh", dir, Map.of()));
        assertTrue(e.getMessage().startsWith("command not executable: ./script.sh"), e.getMessage());
    }

    @Test
    void childrenGetNeitherProcpoolsConfigurationNorSystemdsSocket() {
        Map<String, String> env = Executables.inheritedEnvironment(Map.of(
                "PATH", "bin", "HOME", "home", "LANG", "C.UTF-8",
                "PROCPOOL_ADMIN_TOKEN", "secret", "PROCPOOL_ADMIN_TOKEN_FILE", "token", "PROCPOOL_TOKEN", "secret",
                "CONFIG_FORCE_procpool_admin_token", "secret", "NOTIFY_SOCKET", "@notify", "WATCHDOG_USEC", "30000000"));
        assertEquals(Map.of("PATH", "bin", "HOME", "home", "LANG", "C.UTF-8"), env);
    }
}
