package io.procpool.internal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.procpool.config.RunAs;
import io.procpool.spi.Platform;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orphan sweep never takes an exit status that is not an orphan's: children that exit at once,
 * started while another thread sweeps without pause, and the JDK's own children. Makes this test
 * JVM a child subreaper, as {@code procpool run} makes itself.
 */
class OrphanSweepIT {

    @TempDir
    Path dir;

    private LinuxPlatform platform;
    private Thread sweeping;
    private final AtomicBoolean stop = new AtomicBoolean();

    @BeforeEach
    void setUp() {
        platform = LinuxPlatform.open(false, true);
        Orphans orphans = platform.orphans();
        assertNotNull(orphans, "a subreaper adopts");
        sweeping = LinuxPlatform.daemon(() -> {
            while (!stop.get()) {
                orphans.sweep();
            }
        }, "test-sweeper");
        sweeping.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        stop.set(true);
        sweeping.join(5_000);
        platform.close();
    }

    @Test
    void instancesThatExitAtOnceKeepTheirStatusWhileTheSweepRuns() throws Exception {
        Platform.Prepared exit3 = platform.prepare(Path.of("/bin/sh"), List.of("sh", "-c", "exit 3"), Map.of("PATH", "/usr/bin:/bin"),
                dir, Platform.Output.merged(dir.resolve("out.log")), RunAs.INHERIT);
        List<Platform.Started> started = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            started.add(platform.start(exit3).toCompletableFuture().get(10, TimeUnit.SECONDS));
        }
        for (Platform.Started s : started) {
            assertEquals(3, s.exit().toCompletableFuture().get(10, TimeUnit.SECONDS).code(), "pid " + s.pid());
        }
    }

    @Test
    void theJdksChildrenAreLeftToTheJdk() throws Exception {
        for (int i = 0; i < 50; i++) {
            Process p = new ProcessBuilder("sh", "-c", "exit 5").start();
            assertEquals(5, p.onExit().get(10, TimeUnit.SECONDS).exitValue(), "pid " + p.pid());
        }
    }
}
