package io.procpool.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.LogSettings;
import io.procpool.spi.LaunchSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PlatformLauncher#expect}: the log files of starts to come, made off the launching thread. */
class LaunchAheadTest {

    @TempDir
    Path dir;

    private LaunchSpec spec(int port, LogSettings.Stderr stderr) {
        return new LaunchSpec("svc", port, List.of("true"), dir, Map.of(), dir.resolve("state/logs/svc-" + port + ".log"),
                new LogSettings(1 << 20, 1, stderr, false));
    }

    @Test
    void theLogFilesOfStartsToComeAreMadeWithTheirDirectoryAndNothingIsStarted() throws Exception {
        FakePlatform platform = new FakePlatform();
        try (PlatformLauncher launcher = PlatformLauncher.open(dir.resolve("state"), platform, Duration.ofSeconds(1),
                Duration.ofSeconds(1))) {
            Path logs = dir.resolve("state/logs");
            assertFalse(Files.exists(logs.resolve("svc-7501.log")));
            launcher.createAhead(List.of(spec(7501, LogSettings.Stderr.MERGED), spec(7502, LogSettings.Stderr.SEPARATE)))
                    .get(10, TimeUnit.SECONDS);
            assertTrue(Files.isRegularFile(logs.resolve("svc-7501.log")));
            assertTrue(Files.isRegularFile(logs.resolve("svc-7502.log")));
            assertTrue(Files.isRegularFile(LogFiles.errorLog(logs.resolve("svc-7502.log"))), "the stderr file too");
            assertFalse(Files.exists(LogFiles.errorLog(logs.resolve("svc-7501.log"))), "none where stderr is merged");
            assertEquals(0, Files.size(logs.resolve("svc-7501.log")));
            assertEquals(0, launcher.liveChildren(), "nothing was started");
        }
    }

    @Test
    void aLogThatIsThereKeepsWhatItHolds() throws Exception {
        Path log = dir.resolve("state/logs/svc-7503.log");
        Files.createDirectories(log.getParent());
        Files.writeString(log, "an earlier run's output\n");
        try (PlatformLauncher launcher = PlatformLauncher.open(dir.resolve("state"), new FakePlatform(), Duration.ofSeconds(1),
                Duration.ofSeconds(1))) {
            launcher.createAhead(List.of(spec(7503, LogSettings.Stderr.MERGED), spec(7504, LogSettings.Stderr.MERGED)))
                    .get(10, TimeUnit.SECONDS);
            assertEquals("an earlier run's output\n", Files.readString(log));
        }
    }
}
