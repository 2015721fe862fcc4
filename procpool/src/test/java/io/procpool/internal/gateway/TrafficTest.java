package io.procpool.internal.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.ScriptedPool;
import io.procpool.config.PoolSettings;
import io.procpool.config.TestConfigs;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** The gateway's view of the pool as the supervision tree tells it things: a reload's removal. */
class TrafficTest {

    private final PoolSettings settings = TestConfigs.pool("""
            gateway { enabled = true, port = 0 }
            services.web { command = "./w {port}", ports = [18100] }
            services.api { command = "./a {port}", ports = [18101] }
            """);
    private final Traffic traffic = new Traffic(settings.gateway(), settings.services().values(), () -> 0L);

    /** Timers that never fire: what is answered here is answered without them. */
    private static final ServiceTraffic.Timers NEVER = (delay, task) -> () -> { };

    private static PoolEvent event(String service, int port, InstanceState from, InstanceState to) {
        return new PoolEvent(Instant.EPOCH, service, port, OptionalLong.of(42), from, to, "removed by reload of pool.conf");
    }

    @Test
    void aServiceAReloadRemovesAnswersItsWaitingRequestsAtOnceAndStaysGone() {
        traffic.follow(new ScriptedPool(settings, () -> new PoolStatus(List.of(), 0)).pool(), NEVER);
        CompletionStage<ServiceTraffic.Acquired> waiting = traffic.of("web").acquire(new Tried(), Duration.ofSeconds(10));
        assertFalse(waiting.toCompletableFuture().isDone(), "no instance ready: it waits");

        traffic.removed("web");
        CompletableFuture<ServiceTraffic.Acquired> answered = waiting.toCompletableFuture();
        assertTrue(answered.isDone(), "answered at the removal, not at the queue timeout");
        assertEquals(ServiceTraffic.NoBackend.GONE, answered.join().none());
        assertNull(traffic.of("web"), "a request routed to it now is answered that it is not running");

        traffic.onEvent(event("web", 18100, InstanceState.STARTING, InstanceState.STOPPING));
        traffic.onEvent(event("web", 18100, InstanceState.STOPPING, InstanceState.STOPPED));
        assertNull(traffic.of("web"), "its instances' last words do not bring it back");
        assertTrue(traffic.of("api") != null, "the other service is untouched");
    }
}
