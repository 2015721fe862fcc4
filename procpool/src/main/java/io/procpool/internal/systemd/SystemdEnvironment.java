package io.procpool.internal.systemd;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What systemd tells a {@code Type=notify} service in its environment: where to send
 * notifications ({@code NOTIFY_SOCKET}) and how often to ping its watchdog ({@code WATCHDOG_USEC},
 * for the process {@code WATCHDOG_PID} names, when it names one).
 *
 * @param socket the notification socket's address: a path, or {@code @name} for an abstract one
 * @param watchdog systemd's watchdog timeout, when it is on for this process
 */
public record SystemdEnvironment(Optional<String> socket, Optional<Duration> watchdog) {

    /**
     * The variables a child must not inherit: a service that speaks sd_notify itself would
     * otherwise report to procpool's unit as if it were procpool (systemd's own
     * {@code sd_notify(unset_environment)} removes them for the same reason).
     */
    public static final Set<String> VARIABLES = Set.of("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID");

    /**
     * Reads {@code env} as systemd sets it for process {@code pid}. An unusable value is no value:
     * an empty or relative socket address, a watchdog that is not a positive number of
     * microseconds, or one meant for another process.
     */
    public static SystemdEnvironment of(Map<String, String> env, long pid) {
        String socket = env.get("NOTIFY_SOCKET");
        Optional<String> address = socket != null && (socket.startsWith("/") || (socket.startsWith("@") && socket.length() > 1))
                ? Optional.of(socket) : Optional.empty();
        return new SystemdEnvironment(address, watchdog(env, pid));
    }

    private static Optional<Duration> watchdog(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        String forPid = env.get("WATCHDOG_PID");
        if (usec == null || (forPid != null && !forPid.trim().equals(Long.toString(pid)))) {
            return Optional.empty();
        }
        try {
            long micros = Long.parseLong(usec.trim());
            return micros > 0 ? Optional.of(Duration.ofNanos(Math.multiplyExact(micros, 1000L))) : Optional.empty();
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
    }
}
