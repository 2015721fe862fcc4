package io.procpool.internal.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How many instances of one service each node runs: pure, so every case is a plain test.
 *
 * <p>The aim is an even spread over the nodes that can run the service (no node more than one
 * above another, unless its ports cap it), with as few moves as possible: where the count does not
 * divide evenly, the extra instances stay on the nodes that already run more. A move is a surge,
 * as the rolling restart is: a node's count goes up at once, and another node's goes down only once
 * every node that is not shrinking runs its new count ready. A lost node has nothing to shrink, so
 * its share goes to the others at once.
 */
public final class Placement {

    private Placement() {
    }

    /**
     * One node's part in a service.
     *
     * @param node the node, as the cluster names it
     * @param capacity the most it can run (its ports for the service; 0: it cannot run it)
     * @param assigned what it was told to run so far
     * @param ready how many of them are ready now
     */
    public record Share(String node, int capacity, int assigned, int ready) {
    }

    /**
     * What each node runs next, and what fits nowhere.
     *
     * @param counts node to count, for every node given
     * @param unplaced instances wanted that no node has a port for
     */
    public record Plan(Map<String, Integer> counts, int unplaced) {
    }

    /**
     * The next step towards {@code desired} instances over {@code nodes} (the nodes that may run
     * it now: up, not leaving; in a stable order, the cluster's age order).
     */
    public static Plan plan(int desired, List<Share> nodes) {
        Map<String, Integer> ideal = even(desired, nodes);
        boolean mayShrink = nodes.stream().filter(n -> ideal.get(n.node()) >= n.assigned())
                .allMatch(n -> n.ready() >= ideal.get(n.node()));
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Share n : nodes) {
            int target = ideal.get(n.node());
            counts.put(n.node(), target >= n.assigned() || mayShrink ? target : Math.min(n.assigned(), n.capacity()));
        }
        int placed = ideal.values().stream().mapToInt(Integer::intValue).sum();
        return new Plan(counts, Math.max(0, desired - placed));
    }

    /** The even spread: water filling within each node's capacity, the remainder to the nodes that run more already. */
    static Map<String, Integer> even(int desired, List<Share> nodes) {
        Map<String, Integer> target = new LinkedHashMap<>();
        nodes.forEach(n -> target.put(n.node(), 0));
        int remaining = Math.min(Math.max(0, desired), nodes.stream().mapToInt(n -> Math.max(0, n.capacity())).sum());
        while (remaining > 0) {
            List<Share> open = new ArrayList<>(nodes.stream().filter(n -> target.get(n.node()) < n.capacity()).toList());
            int each = remaining / open.size();
            if (each == 0) {
                open.sort(Comparator.comparingInt(Share::assigned).reversed());
                for (Share n : open.subList(0, remaining)) {
                    target.merge(n.node(), 1, Integer::sum);
                }
                remaining = 0;
            } else {
                for (Share n : open) {
                    int add = Math.min(each, n.capacity() - target.get(n.node()));
                    target.merge(n.node(), add, Integer::sum);
                    remaining -= add;
                }
            }
        }
        return target;
    }
}
