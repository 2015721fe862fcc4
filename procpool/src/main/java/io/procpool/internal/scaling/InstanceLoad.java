package io.procpool.internal.scaling;

import java.util.OptionalDouble;

/**
 * What is known of one ready instance's load at one sample.
 *
 * @param port the instance's port
 * @param cpuCores CPU time of its process tree per second of the last sampling interval (1.0 =
 *     one core busy); empty until two samples exist
 * @param rssBytes resident memory of its process tree
 * @param probeLatencyMs its last health probe's latency; empty when it has not been probed
 * @param inFlight requests in flight to it through the gateway, averaged over the last sampling
 *     interval; empty without a gateway, or at its first sample
 */
public record InstanceLoad(int port, OptionalDouble cpuCores, long rssBytes, OptionalDouble probeLatencyMs,
                           OptionalDouble inFlight) {

    /** A load without a gateway's figure. */
    public InstanceLoad(int port, OptionalDouble cpuCores, long rssBytes, OptionalDouble probeLatencyMs) {
        this(port, cpuCores, rssBytes, probeLatencyMs, OptionalDouble.empty());
    }
}
