package io.procpool.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.procpool.config.PoolSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.config.TestConfigs;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** What counts as ready: the readiness of GET /readyz and of systemd's READY=1. */
class ReadinessTest {

    private static final PoolSettings SETTINGS = TestConfigs.pool("""
            services {
              web { command = w, ports = [8000, 8001, 8002], min-processes = 2, max-processes = 3 }
              off { command = o, ports = [8010], enabled = false }
            }
            """);
    private static final ServiceSettings WEB = SETTINGS.services().get("web");

    private static InstanceStatus instance(int port, InstanceState state) {
        return new InstanceStatus(port, OptionalLong.of(port), state, 0, 1, Optional.empty(), "", Optional.empty(), List.of("w"),
                Path.of("w.log"), List.of());
    }

    private static ServiceStatus web(int desired, InstanceState... states) {
        List<InstanceStatus> instances = new java.util.ArrayList<>();
        for (int i = 0; i < states.length; i++) {
            instances.add(instance(8000 + i, states[i]));
        }
        return new ServiceStatus("web", ServiceState.of(desired, instances), desired, instances, WEB, Optional.empty());
    }

    @Test
    void aServiceNeedsItsMinProcessesReadyEvenWhenScaledAboveThem() {
        assertEquals(2, web(3, InstanceState.HEALTHY, InstanceState.HEALTHY, InstanceState.STARTING).required());
        assertEquals(true, web(3, InstanceState.HEALTHY, InstanceState.RUNNING, InstanceState.STARTING).readyEnough());
        assertEquals(false, web(2, InstanceState.HEALTHY, InstanceState.UNHEALTHY).readyEnough());
    }

    @Test
    void aStoppedOrDisabledServiceNeedsNothing() {
        assertEquals(0, web(0).required());
        assertEquals(0, ServiceStatus.disabled(SETTINGS.services().get("off")).required());
    }

    @Test
    void notReadyListsTheServicesShortOfTheirMinInOrder() {
        ServiceStatus shortOne = web(2, InstanceState.HEALTHY, InstanceState.BACKOFF);
        PoolStatus status = new PoolStatus(List.of(shortOne, ServiceStatus.disabled(SETTINGS.services().get("off"))), 0);
        assertEquals(List.of(shortOne), status.notReady());
        assertEquals(List.of(), new PoolStatus(List.of(web(2, InstanceState.HEALTHY, InstanceState.HEALTHY)), 0).notReady());
    }
}
