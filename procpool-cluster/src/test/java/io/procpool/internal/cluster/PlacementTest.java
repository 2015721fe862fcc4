package io.procpool.internal.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementTest {

    private static Placement.Share node(String name, int capacity, int assigned, int ready) {
        return new Placement.Share(name, capacity, assigned, ready);
    }

    @Test
    void spreadsEvenlyOverTheNodesThatCanRunIt() {
        Placement.Plan plan = Placement.plan(6, List.of(node("a", 3, 0, 0), node("b", 3, 0, 0), node("c", 3, 0, 0)));
        assertEquals(Map.of("a", 2, "b", 2, "c", 2), plan.counts());
        assertEquals(0, plan.unplaced());
    }

    @Test
    void aNodeWithoutCapacityGetsNoneAndTheRestIsUnplaced() {
        Placement.Plan plan = Placement.plan(7, List.of(node("a", 3, 0, 0), node("b", 0, 0, 0), node("c", 2, 0, 0)));
        assertEquals(Map.of("a", 3, "b", 0, "c", 2), plan.counts());
        assertEquals(2, plan.unplaced());
    }

    @Test
    void theRemainderStaysWhereInstancesRunAlready() {
        // 5 over 3 nodes: 2, 2, 1; the 2s go to the nodes that run 2 now, so nothing moves.
        Placement.Plan plan = Placement.plan(5, List.of(node("a", 3, 1, 1), node("b", 3, 2, 2), node("c", 3, 2, 2)));
        assertEquals(Map.of("a", 1, "b", 2, "c", 2), plan.counts());
    }

    @Test
    void aLostNodesShareGoesToTheOthersAtOnce() {
        // c is gone: a and b are all that is given; they grow at once (nothing shrinks, nothing waits).
        Placement.Plan plan = Placement.plan(6, List.of(node("a", 3, 2, 2), node("b", 3, 2, 2)));
        assertEquals(Map.of("a", 3, "b", 3), plan.counts());
        assertEquals(0, plan.unplaced());
    }

    @Test
    void aMoveIsASurgeTheShrinkingNodeWaitsForTheGrowingOnesToBeReady() {
        // c joined after a and b took everything: c grows at once, a and b keep theirs meanwhile.
        List<Placement.Share> joined = List.of(node("a", 3, 3, 3), node("b", 3, 3, 3), node("c", 3, 0, 0));
        assertEquals(Map.of("a", 3, "b", 3, "c", 2), Placement.plan(6, joined).counts());
        // c has one of its two ready: still no shrink.
        List<Placement.Share> half = List.of(node("a", 3, 3, 3), node("b", 3, 3, 3), node("c", 3, 2, 1));
        assertEquals(Map.of("a", 3, "b", 3, "c", 2), Placement.plan(6, half).counts());
        // Both ready: now a and b give theirs up.
        List<Placement.Share> ready = List.of(node("a", 3, 3, 3), node("b", 3, 3, 3), node("c", 3, 2, 2));
        assertEquals(Map.of("a", 2, "b", 2, "c", 2), Placement.plan(6, ready).counts());
    }

    @Test
    void noNodesPlacesNothing() {
        Placement.Plan plan = Placement.plan(4, List.of());
        assertEquals(Map.of(), plan.counts());
        assertEquals(4, plan.unplaced());
    }
}
