package io.procpool.testkit;

import io.procpool.spi.ProbeResult;
import java.time.Duration;
import java.util.Optional;

/**
 * How the simulated processes of a service behave, written the way one describes a failure
 * scenario: "starts serving after 2 s, fails its first 3 probes, crashes with 1 after 30 s,
 * ignores SIGTERM". Immutable; each method returns a changed copy. Apply it with
 * {@link Simulation#script}.
 *
 * @param bindsAfter probes are refused ("connection refused") until the process is this old
 * @param failingProbes how many of its first probes fail ("HTTP 500")
 * @param hangsAfter from this age on its probes never answer (a frozen process); null: never
 * @param exitsAfter it exits by itself at this age; null: never
 * @param exitCode the code it exits with
 * @param ignoresStop it ignores TERM, INT, QUIT and HUP: only SIGKILL ends it
 * @param probeLatency how long its successful probes take
 * @param cpuCores the CPU its process tree uses (1.0 = one core)
 * @param rssBytes the memory its process tree holds
 */
public record ProcessScript(Duration bindsAfter, int failingProbes, Duration hangsAfter, Duration exitsAfter, int exitCode,
                            boolean ignoresStop, Duration probeLatency, double cpuCores, long rssBytes) {

    /** A process that starts at once, answers every probe in 1 ms and runs until stopped. */
    public static ProcessScript healthy() {
        return new ProcessScript(Duration.ZERO, 0, null, null, 0, false, Duration.ofMillis(1), 0.0, 8L << 20);
    }

    /** It answers probes only once it is {@code d} old (a slow start). */
    public ProcessScript bindsAfter(Duration d) {
        return new ProcessScript(d, failingProbes, hangsAfter, exitsAfter, exitCode, ignoresStop, probeLatency, cpuCores, rssBytes);
    }

    /** Its first {@code n} probes fail (refused ones while it binds included), then it recovers. */
    public ProcessScript failsProbes(int n) {
        return new ProcessScript(bindsAfter, n, hangsAfter, exitsAfter, exitCode, ignoresStop, probeLatency, cpuCores, rssBytes);
    }

    /** It freezes when it is {@code d} old: its probes never answer from then on. */
    public ProcessScript hangsAfter(Duration d) {
        return new ProcessScript(bindsAfter, failingProbes, d, exitsAfter, exitCode, ignoresStop, probeLatency, cpuCores, rssBytes);
    }

    /** It exits by itself with {@code code} when it is {@code d} old (a crash, unless the code is expected). */
    public ProcessScript exitsAfter(Duration d, int code) {
        return new ProcessScript(bindsAfter, failingProbes, hangsAfter, d, code, ignoresStop, probeLatency, cpuCores, rssBytes);
    }

    /** It ignores polite stop signals; a stop ends with SIGKILL at the stop timeout. */
    public ProcessScript ignoresStopSignal() {
        return new ProcessScript(bindsAfter, failingProbes, hangsAfter, exitsAfter, exitCode, true, probeLatency, cpuCores, rssBytes);
    }

    /** Its probes take {@code d}. */
    public ProcessScript probeLatency(Duration d) {
        return new ProcessScript(bindsAfter, failingProbes, hangsAfter, exitsAfter, exitCode, ignoresStop, d, cpuCores, rssBytes);
    }

    /** Its process tree uses {@code cores} of CPU and {@code bytes} of memory. */
    public ProcessScript load(double cores, long bytes) {
        return new ProcessScript(bindsAfter, failingProbes, hangsAfter, exitsAfter, exitCode, ignoresStop, probeLatency, cores, bytes);
    }

    /** The answer to probe number {@code n} (from 1) of a process {@code age} old. */
    Optional<ProbeResult> answer(int n, Duration age) {
        if (hangsAfter != null && age.compareTo(hangsAfter) >= 0) {
            return Optional.empty();
        }
        if (age.compareTo(bindsAfter) < 0) {
            return Optional.of(ProbeResult.failed(Duration.ofMillis(1), "connection refused"));
        }
        if (n <= failingProbes) {
            return Optional.of(ProbeResult.failed(probeLatency, "HTTP 500 (expected 2xx)"));
        }
        return Optional.of(ProbeResult.ok(probeLatency));
    }
}
