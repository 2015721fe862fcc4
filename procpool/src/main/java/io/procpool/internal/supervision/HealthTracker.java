package io.procpool.internal.supervision;

import io.procpool.spi.ProbeResult;

import io.procpool.config.HealthSettings;

/**
 * The probe semantics as a pure value: consecutive successes and failures, thresholds, and the
 * start period. Each input returns the next tracker; {@link #verdict()} says where the instance
 * stands. Modelled on Kubernetes' startup and readiness probes:
 *
 * <ul>
 *   <li>STARTING until {@code successThreshold} consecutive successes: then HEALTHY;</li>
 *   <li>failures while STARTING and within {@code startPeriod} do not count;</li>
 *   <li>the start period over without a single success: UNHEALTHY, once a probe has failed
 *       (at once if one has; when none ran to its end in the period, because the prober was
 *       behind or the only one is still within its timeout, at the first that fails);</li>
 *   <li>a probe the prober did not run ({@link ProbeResult#ran()} false) counts neither way;</li>
 *   <li>{@code failureThreshold} consecutive failures otherwise: UNHEALTHY.</li>
 * </ul>
 *
 * UNHEALTHY is final for a tracker: the instance is restarted and a new one starts over.
 */
public record HealthTracker(HealthSettings settings, Verdict verdict, int successes, int failures,
                            boolean everSucceeded, boolean startPeriodOver) {

    /** Where an instance stands. */
    public enum Verdict {
        STARTING, HEALTHY, UNHEALTHY
    }

    /** A tracker for a freshly spawned instance. */
    public static HealthTracker start(HealthSettings settings) {
        return new HealthTracker(settings, Verdict.STARTING, 0, 0, false, settings.startPeriod().isZero());
    }

    /** The same standing, judged from now on by {@code next} (settings changed in place). */
    public HealthTracker withSettings(HealthSettings next) {
        return new HealthTracker(next, verdict, successes, failures, everSucceeded, startPeriodOver);
    }

    /** After one probe result. */
    public HealthTracker record(ProbeResult result) {
        if (verdict == Verdict.UNHEALTHY || !result.ran()) {
            return this;
        }
        if (result.healthy()) {
            int s = successes + 1;
            Verdict v = verdict == Verdict.STARTING && s >= settings.successThreshold() ? Verdict.HEALTHY : verdict;
            return new HealthTracker(settings, v, s, 0, true, startPeriodOver);
        }
        int f = failures + 1;
        boolean counts = verdict == Verdict.HEALTHY || startPeriodOver || everSucceeded;
        boolean periodMissed = verdict == Verdict.STARTING && !everSucceeded && startPeriodOver
                && !settings.startPeriod().isZero();
        Verdict v = periodMissed || counts && f >= settings.failureThreshold() ? Verdict.UNHEALTHY : verdict;
        return new HealthTracker(settings, v, 0, f, everSucceeded, startPeriodOver);
    }

    /** When {@code startPeriod} has passed since spawn. */
    public HealthTracker startPeriodElapsed() {
        if (verdict == Verdict.STARTING && !everSucceeded) {
            Verdict v = failures > 0 ? Verdict.UNHEALTHY : Verdict.STARTING;
            return new HealthTracker(settings, v, successes, failures, false, true);
        }
        return new HealthTracker(settings, verdict, successes, failures, everSucceeded, true);
    }

    /** How long to wait before the next probe: quick until the first success, then the interval. */
    public java.time.Duration nextDelay() {
        return everSucceeded ? settings.interval() : settings.startInterval();
    }
}
