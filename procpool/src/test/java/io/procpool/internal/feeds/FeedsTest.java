package io.procpool.internal.feeds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceState;
import io.procpool.api.ScriptedPool;
import io.procpool.api.ServiceStatus;
import io.procpool.config.PoolSettings;
import io.procpool.config.TestConfigs;
import io.procpool.internal.admin.Statuses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The feed writer against a scripted pool, on the calling thread. */
class FeedsTest {

    @TempDir
    Path dir;

    private final AtomicReference<PoolStatus> status = new AtomicReference<>();

    private PoolSettings settings() {
        return TestConfigs.pool("""
                feeds.nginx { file = "%1$s/upstreams.conf", reload-command = "sh -c 'echo reloaded >> %1$s/reloads'", keepalive = 8 }
                services.search { command = "./s {port}", ports = [8000, 8001] }
                """.formatted(dir));
    }

    private static PoolStatus ready(PoolSettings settings, int... ports) {
        List<io.procpool.api.InstanceStatus> instances = new java.util.ArrayList<>();
        for (int p : ports) {
            instances.add(Statuses.instance(p, InstanceState.HEALTHY));
        }
        return new PoolStatus(List.of(new ServiceStatus("search", ServiceState.RUNNING, ports.length, instances,
                settings.services().get("search"), Optional.empty())), 0);
    }

    private static PoolEvent event(InstanceState from, InstanceState to) {
        return new PoolEvent(Instant.now(), "search", 8001, OptionalLong.of(1), from, to, "test");
    }

    private List<String> reloads() throws Exception {
        Path f = dir.resolve("reloads");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    @Test
    void theFeedIsWrittenAtStartAndOnEachChangeOfTheReadySetThenReloaded() throws Exception {
        PoolSettings settings = settings();
        status.set(ready(settings, 8000));
        ScriptedPool pool = new ScriptedPool(settings, status::get);
        Feeds feeds = Feeds.start(pool.pool(), Runnable::run);
        Path file = dir.resolve("upstreams.conf");
        assertEquals(BackendFormats.nginx(status.get(), 8), Files.readString(file));
        assertEquals(1, reloads().size());

        status.set(ready(settings, 8000, 8001));
        pool.listener().accept(event(InstanceState.STARTING, InstanceState.HEALTHY));
        assertTrue(Files.readString(file).contains("server 127.0.0.1:8001 max_fails=0;"), Files.readString(file));
        assertEquals(2, reloads().size());

        pool.listener().accept(event(InstanceState.STOPPING, InstanceState.STOPPED));
        assertEquals(2, feeds.writes(), "no change of readiness: nothing written");
        pool.listener().accept(event(InstanceState.HEALTHY, InstanceState.UNHEALTHY));
        assertEquals(2, feeds.writes(), "the same text (the status has not changed yet): not written again");
        assertEquals(2, reloads().size(), "and not reloaded");

        try (var files = Files.list(dir)) {
            assertEquals(List.of("reloads", "upstreams.conf"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file left behind");
        }
        feeds.close();
        assertEquals(null, pool.listener(), "closing ends the subscription");
    }
}
