package io.procpool.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.procpool.ProcessPool;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchSpec;
import io.procpool.spi.ProcessLauncher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool tells its launcher ahead which instances it is about to start one after another
 * ({@link ProcessLauncher#expect}), so that the platform launcher can make their log files on
 * another thread; the specs it announces are the very ones it then launches.
 */
class StartsAnnouncedTest {

    @TempDir
    Path dir;

    /** Records every call, and counts the launches down. */
    private static final class Recording implements ProcessLauncher {
        final SimulatedLauncher simulated = new SimulatedLauncher();
        final List<Object> calls = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch launched;

        Recording(int launches) {
            launched = new CountDownLatch(launches);
        }

        @Override
        public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
            calls.add(spec);
            launched.countDown();
            return simulated.launch(spec);
        }

        @Override
        public void expect(Collection<LaunchSpec> specs) {
            calls.add(List.copyOf(specs));
        }
    }

    @Test
    void aServiceStartingThreeInstancesAnnouncesThemAllBeforeTheFirstLaunch() throws Exception {
        Recording launcher = new Recording(3);
        try (ProcessPool pool = ProcessPool.builder(ConfigFactory.parseString("""
                        pool {
                          admin.enabled = false
                          services.web { command = web, ports = [7601, 7602, 7603] }
                        }"""))
                .baseDir(dir).launcher(launcher).healthProbe(sys -> new SimulatedHealthProbe(launcher.simulated)).start()) {
            assertTrue(launcher.launched.await(10, TimeUnit.SECONDS), "three launches");
            List<Object> calls = List.copyOf(launcher.calls);
            assertTrue(calls.get(0) instanceof List<?>, "announced first: " + calls);
            List<?> announced = (List<?>) calls.get(0);
            assertEquals(List.of(7601, 7602, 7603), announced.stream().map(s -> ((LaunchSpec) s).port()).toList());
            for (Object launched : calls.subList(1, 4)) {
                assertTrue(announced.stream().anyMatch(a -> a == launched), "a launched spec is an announced one: " + launched);
            }
        }
    }
}
