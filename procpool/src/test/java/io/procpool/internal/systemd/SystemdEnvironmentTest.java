package io.procpool.internal.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SystemdEnvironmentTest {

    @Test
    void aPathOrAnAbstractNameIsTheSocketAndAnythingElseIsNone() {
        assertEquals(Optional.of("/run/systemd/notify"), SystemdEnvironment.of(Map.of("NOTIFY_SOCKET", "/run/systemd/notify"), 1).socket());
        assertEquals(Optional.of("@sd-notify"), SystemdEnvironment.of(Map.of("NOTIFY_SOCKET", "@sd-notify"), 1).socket());
        assertEquals(Optional.empty(), SystemdEnvironment.of(Map.of("NOTIFY_SOCKET", "relative/notify"), 1).socket());
        assertEquals(Optional.empty(), SystemdEnvironment.of(Map.of("NOTIFY_SOCKET", "@"), 1).socket());
        assertEquals(Optional.empty(), SystemdEnvironment.of(Map.of("NOTIFY_SOCKET", "vsock:2:1234"), 1).socket());
        assertEquals(Optional.empty(), SystemdEnvironment.of(Map.of(), 1).socket());
    }

    @Test
    void theWatchdogIsOnlyForThisProcessAndOnlyAPositiveNumberOfMicroseconds() {
        assertEquals(Optional.of(Duration.ofSeconds(30)), SystemdEnvironment.of(Map.of("WATCHDOG_USEC", "30000000"), 42).watchdog());
        assertEquals(Optional.of(Duration.ofSeconds(30)),
                SystemdEnvironment.of(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42"), 42).watchdog());
        assertEquals(Optional.empty(), SystemdEnvironment.of(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "41"), 42).watchdog());
        assertEquals(Optional.empty(), SystemdEnvironment.of(Map.of("WATCHDOG_USEC", "0"), 42).watchdog());
        assertEquals(Optional.empty(), SystemdEnvironment.of(Map.of("WATCHDOG_USEC", "soon"), 42).watchdog());
        assertEquals(Optional.empty(), SystemdEnvironment.of(Map.of(), 42).watchdog());
    }
}
