package io.procpool.internal.clustering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.internal.admin.Statuses;
import io.procpool.spi.TrafficDoor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What a node makes of the others' reports: the cluster's status, the gateway's feed, and the drains across nodes. */
class ClusterViewTest {

    private final AtomicLong clock = new AtomicLong(50_000_000_000L);
    private final ClusterView view = new ClusterView("10.0.0.1:25520", "10.0.0.1", clock::get);

    private static ClusterView.NodeReport node2(String state) {
        return new ClusterView.NodeReport("pekko://procpool-cluster@10.0.0.2:25520#7", "10.0.0.2:25520", "10.0.0.2",
                Map.of("search", 2), List.of(new ClusterView.RemoteInstance("search", 8000, 4242, state, 1, 3_000, "probe passed"),
                new ClusterView.RemoteInstance("search", 8001, 0, "BACKOFF", 3, 0, "exited 1")));
    }

    private static ServiceStatus search(PoolStatus s) {
        return s.services().stream().filter(x -> x.name().equals("search")).findFirst().orElseThrow();
    }

    @Test
    void theStatusListsEveryNodesInstancesWithTheirNodeAndTheSumOfWhatEachShouldRun() {
        PoolStatus local = new PoolStatus(Statuses.pool().services(), clock.get());
        view.report(node2("HEALTHY"));
        clock.addAndGet(1_000_000_000L);
        PoolStatus merged = view.merge(new PoolStatus(local.services(), clock.get()));

        ServiceStatus s = search(merged);
        assertEquals(2 + 2, s.desired());
        assertEquals(List.of("10.0.0.1:25520:8000", "10.0.0.1:25520:8001", "10.0.0.2:25520:8000", "10.0.0.2:25520:8001"),
                s.instances().stream().map(i -> i.node() + ":" + i.port()).toList());
        InstanceStatus mine = s.instances().get(0);
        assertEquals("10.0.0.1:8000", mine.address(), "this node's own are reached at its advertised host");
        InstanceStatus theirs = s.instances().get(2);
        assertEquals(InstanceState.HEALTHY, theirs.state());
        assertEquals(4242, theirs.pid().getAsLong());
        assertEquals("10.0.0.2:8000", theirs.address());
        assertEquals(1, theirs.restarts());
        // 3 s old when reported, reported 1 s ago.
        assertEquals(4_000, theirs.uptimeMillis(merged.atNanos()));
        assertTrue(s.instances().get(3).pid().isEmpty());
        assertEquals(List.of("10.0.0.2:8000"), s.ready().stream().filter(i -> i.node().startsWith("10.0.0.2")).map(InstanceStatus::address)
                .toList());
        // A service the other node does not run keeps its own count.
        assertEquals(1, merged.services().stream().filter(x -> x.name().equals("auth")).findFirst().orElseThrow().desired());
    }

    @Test
    void anUnreachableNodeIsLeftOutUntilItAnswersAndARemovedOneForgottenForGood() {
        ClusterView.NodeReport r = node2("HEALTHY");
        List<Collection<ClusterView.NodeReport>> heard = new ArrayList<>();
        view.listen(heard::add);
        view.report(r);
        view.reachable(r.id(), false);
        assertEquals(2, search(view.merge(Statuses.pool())).instances().size());
        view.reachable(r.id(), true);
        assertEquals(4, search(view.merge(Statuses.pool())).instances().size());
        view.removed(r.id());
        view.report(r);
        assertEquals(2, search(view.merge(Statuses.pool())).instances().size(), "a late report of a removed node is not taken");
        assertEquals(List.of(0, 1, 0, 1, 0), heard.stream().map(Collection::size).toList(), "the listener hears every change");
    }

    @Test
    void aPlannedStopWaitsForThisNodesGatewayAndTheOthers() {
        CompletableFuture<Void> local = new CompletableFuture<>();
        CompletableFuture<Void> others = new CompletableFuture<>();
        List<String> asked = new ArrayList<>();
        view.elsewhere((service, address) -> {
            asked.add(service + "@" + address);
            return others;
        });
        TrafficDoor door = view.door((service, port) -> local);
        CompletableFuture<Void> drained = door.drain("search", 8000).toCompletableFuture();
        assertEquals(List.of("search@10.0.0.1:8000"), asked);
        local.complete(null);
        assertFalse(drained.isDone(), "the other gateways still have requests in flight to it");
        others.complete(null);
        assertTrue(drained.isDone());
    }

    @Test
    void aLeavingNodesInstancesAreDrainedFromThisGatewayThenForgotten() {
        ClusterView.NodeReport r = node2("HEALTHY");
        view.report(r);
        List<String> drained = new ArrayList<>();
        CompletableFuture<Void> inFlight = new CompletableFuture<>();
        view.here((service, address) -> {
            drained.add(service + "@" + address);
            return inFlight;
        });
        CompletableFuture<Void> withdrawn = view.withdraw(r.id()).toCompletableFuture();
        assertEquals(List.of("search@10.0.0.2:8000", "search@10.0.0.2:8001"), drained);
        assertEquals(List.of(), view.reachable());
        assertFalse(withdrawn.isDone());
        inFlight.complete(null);
        assertTrue(withdrawn.isDone());
    }

    @Test
    void theStatusSaysWhichNodesItListsWhatTheClusterCouldNotPlaceAndWhatThisNodeRefuses() {
        view.report(node2("HEALTHY"));
        view.unplaced("search", 2);
        view.unplaced("auth", 0);
        view.refused("tcp", "its definition differs from the cluster's");
        io.procpool.api.ClusterStatus c = view.merge(Statuses.pool()).cluster().orElseThrow();
        assertEquals("10.0.0.1:25520", c.self());
        assertEquals(List.of("10.0.0.1:25520", "10.0.0.2:25520"), c.nodes());
        assertEquals(Map.of("search", 2), c.unplaced(), "a service with every instance placed is left out");
        assertEquals(Map.of("tcp", "its definition differs from the cluster's"), c.refused());
        assertTrue(Statuses.pool().cluster().isEmpty(), "a pool alone has no cluster part");
    }

    @Test
    void aNewIncarnationForgetsWhatTheLastOneKnewOfTheOthers() {
        ClusterView.NodeReport r = node2("HEALTHY");
        view.report(r);
        view.reachable(r.id(), false);
        view.removed(r.id());
        view.refused("tcp", "differs");
        view.reset();
        assertEquals(List.of("10.0.0.1:25520"), view.merge(Statuses.pool()).cluster().orElseThrow().nodes());
        assertEquals(Map.of(), view.merge(Statuses.pool()).cluster().orElseThrow().refused());
        view.report(r);
        assertEquals(4, search(view.merge(Statuses.pool())).instances().size(),
                "not left out as unreachable or removed by the last incarnation");
    }
}
