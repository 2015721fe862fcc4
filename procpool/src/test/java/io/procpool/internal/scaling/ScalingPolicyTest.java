package io.procpool.internal.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.ScalingSettings;
import io.procpool.config.TestConfigs;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ScalingPolicyTest {

    /** target 0.5 cores, up after 3 samples, down after 5, 1 s apart. */
    private static final ScalingSettings S = TestConfigs.service("command = x, ports = [1, 2, 3, 4, 5], min-processes = 1, "
            + "max-processes = 5, scaling { enabled = true, target = 0.5, up-after = 3s, down-after = 5s, interval = 1s }").scaling();

    @Test
    void recommendsTheCountThatBringsTheLoadToTheTarget() {
        assertEquals(4, ScalingPolicy.recommend(2, 1.0, 0.5, 0.1, 1, 5), "2 instances at twice the target");
        assertEquals(1, ScalingPolicy.recommend(2, 0.2, 0.5, 0.1, 1, 5));
        assertEquals(5, ScalingPolicy.recommend(2, 9.0, 0.5, 0.1, 1, 5), "clamped to max");
        assertEquals(1, ScalingPolicy.recommend(3, 0.0, 0.5, 0.1, 1, 5), "clamped to min");
        assertEquals(3, ScalingPolicy.recommend(3, 0.54, 0.5, 0.1, 1, 5), "within the tolerance band");
        assertEquals(4, ScalingPolicy.recommend(3, 0.56, 0.5, 0.1, 1, 5), "just outside it");
    }

    @Test
    void scalesUpOnlyAfterTheSignalHeldForUpAfterToTheSmallestAskedFor() {
        ScalingPolicy.State st = ScalingPolicy.State.INITIAL;
        ScalingPolicy.Outcome o1 = ScalingPolicy.decide(st, 2, 1.0, S, 1, 5);
        ScalingPolicy.Outcome o2 = ScalingPolicy.decide(o1.next(), 2, 0.8, S, 1, 5);
        assertEquals(OptionalInt.empty(), o2.scaleTo());
        ScalingPolicy.Outcome o3 = ScalingPolicy.decide(o2.next(), 2, 2.0, S, 1, 5);
        assertEquals(OptionalInt.of(4), o3.scaleTo(), "min of 4, 4 (0.8/0.5*2=3.2 -> 4) and 5");
        assertEquals(ScalingPolicy.State.INITIAL, o3.next());
    }

    @Test
    void aSampleWithinToleranceStartsTheCountOver() {
        ScalingPolicy.Outcome o1 = ScalingPolicy.decide(ScalingPolicy.State.INITIAL, 2, 1.0, S, 1, 5);
        ScalingPolicy.Outcome o2 = ScalingPolicy.decide(o1.next(), 2, 1.0, S, 1, 5);
        ScalingPolicy.Outcome calm = ScalingPolicy.decide(o2.next(), 2, 0.5, S, 1, 5);
        ScalingPolicy.Outcome o4 = ScalingPolicy.decide(calm.next(), 2, 1.0, S, 1, 5);
        assertEquals(OptionalInt.empty(), o4.scaleTo());
        assertEquals(1, o4.next().above());
    }

    @Test
    void scalesDownOnlyAfterDownAfterToTheLargestAskedFor() {
        ScalingPolicy.State st = ScalingPolicy.State.INITIAL;
        double[] loads = {0.1, 0.1, 0.3, 0.1, 0.1};
        ScalingPolicy.Outcome o = null;
        for (int i = 0; i < loads.length; i++) {
            o = ScalingPolicy.decide(st, 4, loads[i], S, 1, 5);
            st = o.next();
            if (i < loads.length - 1) {
                assertEquals(OptionalInt.empty(), o.scaleTo(), "sample " + i);
            }
        }
        assertEquals(OptionalInt.of(3), o.scaleTo(), "max of 1, 1, 3 (0.3/0.5*4=2.4 -> 3), 1, 1");
    }

    @Test
    void windowsAreCountedInSamples() {
        assertEquals(10, ScalingPolicy.samples(java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(1)));
        assertEquals(1, ScalingPolicy.samples(java.time.Duration.ZERO, java.time.Duration.ofSeconds(1)));
        assertEquals(3, ScalingPolicy.samples(java.time.Duration.ofMillis(2500), java.time.Duration.ofSeconds(1)));
        assertTrue(ScalingPolicy.samples(java.time.Duration.ofSeconds(60), java.time.Duration.ofSeconds(1)) == 60);
    }
}
