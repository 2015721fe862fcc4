package io.procpool.internal.supervision;

import io.procpool.spi.ProbeResult;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.procpool.config.HealthSettings;
import io.procpool.config.TestConfigs;
import io.procpool.internal.supervision.HealthTracker.Verdict;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HealthTrackerTest {

    private static final ProbeResult OK = ProbeResult.ok(Duration.ofMillis(2));
    private static final ProbeResult FAIL = ProbeResult.failed(Duration.ofMillis(2), "HTTP 500");

    private static HealthTracker tracker(String health) {
        HealthSettings h = TestConfigs.service("command = x, ports = [1], health-check { path = \"/h\", " + health + " }").health();
        return HealthTracker.start(h);
    }

    private static HealthTracker feed(HealthTracker t, ProbeResult... results) {
        for (ProbeResult r : results) {
            t = t.record(r);
        }
        return t;
    }

    @Test
    void oneSuccessMakesItHealthyByDefault() {
        assertEquals(Verdict.HEALTHY, feed(tracker(""), OK).verdict());
    }

    @Test
    void successThresholdNeedsConsecutiveSuccesses() {
        HealthTracker t = tracker("success-threshold = 3, start-period = 0");
        assertEquals(Verdict.STARTING, feed(t, OK, OK).verdict());
        assertEquals(Verdict.STARTING, feed(t, OK, OK, FAIL, OK, OK).verdict());
        assertEquals(Verdict.HEALTHY, feed(t, OK, OK, FAIL, OK, OK, OK).verdict());
    }

    @Test
    void failuresWithinTheStartPeriodDoNotCount() {
        HealthTracker t = feed(tracker("failure-threshold = 3, start-period = 10s"), FAIL, FAIL, FAIL, FAIL, FAIL);
        assertEquals(Verdict.STARTING, t.verdict());
        assertEquals(Verdict.HEALTHY, t.record(OK).verdict());
    }

    @Test
    void theStartPeriodOverWithoutASuccessIsUnhealthy() {
        HealthTracker t = feed(tracker("failure-threshold = 3, start-period = 10s"), FAIL);
        assertEquals(Verdict.UNHEALTHY, t.startPeriodElapsed().verdict());
        assertEquals(Verdict.HEALTHY, feed(tracker("start-period = 10s"), OK).startPeriodElapsed().verdict());
    }

    @Test
    void theStartPeriodOverWithNoProbeRunToItsEndWaitsForTheFirstFailure() {
        // The prober was behind the whole period, or the one probe is still within its timeout.
        HealthTracker t = tracker("failure-threshold = 3, start-period = 10s").startPeriodElapsed();
        assertEquals(Verdict.STARTING, t.verdict());
        assertEquals(Verdict.STARTING, feed(t, ProbeResult.notRun("behind")).verdict());
        assertEquals(Verdict.UNHEALTHY, feed(t, FAIL).verdict(), "the first failure after the period decides");
        assertEquals(Verdict.HEALTHY, feed(t, OK).verdict());
        assertEquals(Verdict.STARTING, feed(tracker("failure-threshold = 3, start-period = 0"), FAIL, FAIL).verdict(),
                "without a start period there is none to miss: the threshold decides");
    }

    @Test
    void aProbeThatDidNotRunCountsNeitherWay() {
        ProbeResult notRun = ProbeResult.notRun("procpool's prober was behind");
        HealthTracker healthy = feed(tracker("failure-threshold = 2, start-period = 0"), OK, FAIL);
        assertEquals(healthy, feed(healthy, notRun, notRun, notRun));
        assertEquals(Verdict.UNHEALTHY, feed(healthy, notRun, FAIL).verdict(), "the failures on either side are consecutive");
        HealthTracker starting = tracker("success-threshold = 1");
        assertEquals(Verdict.STARTING, feed(starting, notRun).verdict());
    }

    @Test
    void withoutAStartPeriodFailuresCountFromTheStart() {
        assertEquals(Verdict.UNHEALTHY, feed(tracker("failure-threshold = 2, start-period = 0"), FAIL, FAIL).verdict());
    }

    @Test
    void consecutiveFailuresOfAHealthyInstanceMakeItUnhealthy() {
        HealthTracker t = feed(tracker("failure-threshold = 3"), OK, FAIL, FAIL);
        assertEquals(Verdict.HEALTHY, t.verdict());
        assertEquals(2, t.failures());
        assertEquals(Verdict.HEALTHY, feed(t, OK, FAIL, FAIL).verdict(), "a success in between starts the count over");
        assertEquals(Verdict.UNHEALTHY, feed(t, FAIL).verdict());
    }

    @Test
    void probesQuicklyUntilTheFirstSuccessThenAtTheInterval() {
        HealthTracker t = tracker("interval = 2s, start-interval = 100ms");
        assertEquals(Duration.ofMillis(100), t.nextDelay());
        assertEquals(Duration.ofMillis(100), feed(t, FAIL).nextDelay());
        assertEquals(Duration.ofSeconds(2), feed(t, FAIL, OK).nextDelay());
    }
}
