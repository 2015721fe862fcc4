package io.procpool.internal.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterLoadTest {

    @Test
    void eachNodeWeighsAsManyInstancesAsItHasReady() {
        // 2 instances at 0.9 and 1 at 0.3: 0.7 per instance, not the nodes' plain 0.6.
        assertEquals(0.7, ClusterLoad.average(List.of(new double[] {0.9, 2}, new double[] {0.3, 1})).getAsDouble(), 1e-9);
        assertTrue(ClusterLoad.average(List.of()).isEmpty());
    }
}
