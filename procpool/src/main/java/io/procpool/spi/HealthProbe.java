package io.procpool.spi;


import io.procpool.config.HealthSettings;
import java.util.concurrent.CompletionStage;

/**
 * Probes one instance once: the seam between the InstanceActor's probe timers and the network.
 * The real implementations are the NIO prober (the default) and one on Pekko HTTP's client;
 * tests script their own.
 *
 * <p>Contract: {@link #probe} never blocks its caller, and its stage completes normally (a failure
 * is a {@link ProbeResult} with {@code healthy = false}, never an exceptional completion) within
 * {@code settings.timeout()} of the moment the prober can start it, and that moment within
 * 250 ms, give or take scheduling: a prober that cannot start a probe in time answers
 * {@link ProbeResult#notRun} instead of blaming its own delay on the instance (the caller's own
 * deadline is the timeout plus 500 ms). Each probe stands alone: no connection or
 * state is shared with an earlier probe, so a frozen instance fails its probes instead of
 * holding the prober up. What it does NOT guarantee: that a late answer is never computed (the
 * caller still keeps its own deadline and ignores late results).
 */
public interface HealthProbe {

    /** Probes {@code 127.0.0.1:port} as {@code settings} say (HTTP GET of the path, or a TCP connect). */
    CompletionStage<ProbeResult> probe(int port, HealthSettings settings);
}
