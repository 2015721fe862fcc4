package io.procpool.internal.supervision;

import io.procpool.api.InstanceState;
import io.procpool.api.ServiceState;
import io.procpool.api.InstanceStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ServiceStateTest {

    private static List<InstanceStatus> instances(InstanceState... states) {
        int[] port = {8000};
        return Arrays.stream(states)
                .map(s -> new InstanceStatus(port[0]++, OptionalLong.empty(), s, 0, 0, Optional.empty(), "", Optional.empty(),
                        java.util.List.of("x"), java.nio.file.Path.of("x.log"), java.util.List.of()))
                .toList();
    }

    @Test
    void runningWhenEveryDesiredInstanceIsReady() {
        assertEquals(ServiceState.RUNNING, ServiceState.of(2, instances(InstanceState.HEALTHY, InstanceState.RUNNING)));
    }

    @Test
    void degradedWhenSomeAreNotReady() {
        assertEquals(ServiceState.DEGRADED, ServiceState.of(2, instances(InstanceState.HEALTHY, InstanceState.BACKOFF)));
        assertEquals(ServiceState.DEGRADED, ServiceState.of(2, instances(InstanceState.STARTING, InstanceState.STARTING)));
        assertEquals(ServiceState.DEGRADED, ServiceState.of(2, instances(InstanceState.FAILED, InstanceState.HEALTHY)));
    }

    @Test
    void failedWhenEveryInstanceIsFailed() {
        assertEquals(ServiceState.FAILED, ServiceState.of(2, instances(InstanceState.FAILED, InstanceState.FAILED)));
    }

    @Test
    void stoppedWhenNothingIsDesired() {
        assertEquals(ServiceState.STOPPED, ServiceState.of(0, instances()));
    }
}
