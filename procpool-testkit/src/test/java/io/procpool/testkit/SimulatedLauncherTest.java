package io.procpool.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.LogSettings;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class SimulatedLauncherTest {

    private static LaunchSpec spec(int port) {
        return new LaunchSpec("svc", port, List.of("srv"), Path.of("."), Map.of(), Path.of("logs/svc.log"),
                new LogSettings(1 << 20, 1));
    }

    @Test
    void aHeldLaunchWaitsForItsRelease() {
        SimulatedLauncher launcher = new SimulatedLauncher().hold(1);
        CompletableFuture<ChildProcess> launch = launcher.launch(spec(1)).toCompletableFuture();
        assertFalse(launch.isDone());
        assertTrue(launcher.launch(spec(2)).toCompletableFuture().isDone(), "other ports are not held");
        launcher.release(1);
        assertTrue(launch.isDone());
        assertTrue(launcher.launch(spec(1)).toCompletableFuture().isDone(), "released: later launches are not held");
    }

    @Test
    void aReleaseBeforeTheLaunchLeavesItUnheld() {
        SimulatedLauncher launcher = new SimulatedLauncher().hold(1);
        launcher.release(1);
        assertTrue(launcher.launch(spec(1)).toCompletableFuture().isDone());
    }
}
