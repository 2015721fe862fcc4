package io.procpool.internal.cluster;

import java.util.List;
import java.util.OptionalDouble;

/** The cluster's load per instance from each node's reading. Pure. */
final class ClusterLoad {

    private ClusterLoad() {
    }

    /**
     * The average per instance over every node: each node's reading {@code [perInstance, ready]}
     * weighs as many instances as it has ready. Empty when no node has a reading.
     */
    static OptionalDouble average(List<double[]> readings) {
        double sum = 0;
        double instances = 0;
        for (double[] r : readings) {
            sum += r[0] * r[1];
            instances += r[1];
        }
        return instances == 0 ? OptionalDouble.empty() : OptionalDouble.of(sum / instances);
    }
}
