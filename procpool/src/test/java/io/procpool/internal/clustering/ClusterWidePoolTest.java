package io.procpool.internal.clustering;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.procpool.api.OpResult;
import io.procpool.internal.admin.FakePool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** Operations asked of one node act on every node: what is carried to the others, and the one answer made of theirs. */
class ClusterWidePoolTest {

    private final List<String> here = new ArrayList<>();
    private final List<String> carried = new ArrayList<>();
    private final ClusterView view = new ClusterView("10.0.0.1:25520", "10.0.0.1", () -> 0L);
    private final ClusterWidePool pool = new ClusterWidePool(new FakePool(null, here), view);

    private void othersAnswer(OpResult... answers) {
        view.others(new ClusterView.Others() {
            @Override
            public CompletionStage<List<ClusterView.NodeResult>> operate(ClusterView.Operation operation, String service, boolean oneByOne) {
                carried.add(operation + " " + service + (oneByOne ? " one by one" : " at once"));
                List<ClusterView.NodeResult> results = new ArrayList<>();
                for (int i = 0; i < answers.length; i++) {
                    results.add(new ClusterView.NodeResult("10.0.0." + (i + 2) + ":25520", answers[i]));
                }
                return CompletableFuture.completedFuture(results);
            }

            @Override
            public CompletionStage<OpResult> scale(String service, int instances) {
                carried.add("SCALE " + service + " " + instances);
                return CompletableFuture.completedFuture(OpResult.ok("scaled"));
            }
        });
    }

    private static OpResult done(java.util.concurrent.CompletionStage<OpResult> stage) {
        return stage.toCompletableFuture().join();
    }

    @Test
    void aRestartRollsThisNodeThenTheOthersOneByOneAndSaysWhatEachDid() {
        othersAnswer(OpResult.ok("restarted 2"), OpResult.ok("restarted 1"));
        OpResult r = done(pool.restart("search"));
        assertEquals(List.of("restart search"), here);
        assertEquals(List.of("RESTART search one by one"), carried);
        assertEquals(OpResult.Outcome.OK, r.outcome());
        assertEquals("on 10.0.0.1:25520: done; on 10.0.0.2:25520: restarted 2; on 10.0.0.3:25520: restarted 1", r.message());
    }

    @Test
    void aRollThatFailsOnANodeSaysWhichNodesItDidNotReach() {
        view.report(new ClusterView.NodeReport("n2", "10.0.0.2:25520", "10.0.0.2", Map.of(), List.of()));
        view.report(new ClusterView.NodeReport("n3", "10.0.0.3:25520", "10.0.0.3", Map.of(), List.of()));
        othersAnswer(new OpResult(OpResult.Outcome.FAILED, "search:9001 never became HEALTHY"));
        OpResult r = done(pool.restart("search"));
        assertEquals(OpResult.Outcome.FAILED, r.outcome());
        assertEquals("on 10.0.0.1:25520: done; on 10.0.0.2:25520: search:9001 never became HEALTHY; not done on 10.0.0.3:25520 "
                + "(the roll stops at a node that fails)", r.message());
    }

    @Test
    void stopStartAndReloadGoToEveryNodeAtOnce() {
        othersAnswer(OpResult.ok("stopped"));
        assertEquals(OpResult.Outcome.OK, done(pool.stopService("search")).outcome());
        done(pool.startService("search"));
        done(pool.reload());
        assertEquals(List.of("STOP search at once", "START search at once", "RELOAD null at once"), carried);
    }

    @Test
    void scaleIsTheClustersCountAskedOfItsCoordinatorNotOfThisNodesPool() {
        othersAnswer();
        assertEquals("scaled", done(pool.scale("search", 5)).message());
        assertEquals(List.of("SCALE search 5"), carried);
        assertEquals(List.of(), here, "this node's pool is not asked: its count is the cluster's");
        OpResult none = done(pool.scale("nope", 2));
        assertEquals(OpResult.Outcome.NOT_FOUND, none.outcome());
        assertEquals("no service 'nope'; services: search, auth, tcp, off", none.message());
    }

    @Test
    void aWrongRequestIsAnsweredByThisNodeAloneAndAPoolAloneAnswersAsBefore() {
        othersAnswer(OpResult.ok("never asked"));
        assertEquals(OpResult.Outcome.NOT_FOUND, done(pool.stopService("nope")).outcome());
        assertEquals(List.of(), carried);
        view.others(ClusterView.Others.NONE);
        assertEquals("done", done(pool.restart("search")).message(), "with no other node, this node's own answer");
    }

    @Test
    void theEventsAreEveryNodesEachWithItsNode() throws Exception {
        org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit kit = org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create();
        try {
            ClusterWidePool onKit = new ClusterWidePool(new FakePool(kit.system(), here), view);
            java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
            onKit.allEvents().runForeach(e -> seen.add(((io.procpool.api.PoolEvent) e).node()), kit.system());
            io.procpool.api.PoolEvent local = new io.procpool.api.PoolEvent(java.time.Instant.EPOCH, "search", 8000,
                    java.util.OptionalLong.of(1), io.procpool.api.InstanceState.STARTING, io.procpool.api.InstanceState.HEALTHY, "probe");
            // The stream's two subscriptions are made once it runs; what is sent before is not owed to it.
            kit.createTestProbe().awaitAssert(() -> {
                kit.system().eventStream().tell(new org.apache.pekko.actor.typed.eventstream.EventStream.Publish<>(local));
                view.event(local.on("10.0.0.2:25520"));
                assertEquals(java.util.Set.of("10.0.0.1:25520", "10.0.0.2:25520"), seen, "this node's, named, and the other's");
                return null;
            });
        } finally {
            kit.shutdownTestKit();
        }
    }

    @Test
    void theListenerFormHearsEveryNodesEventsEachWithItsNodeFromTheMomentItReturns() throws Exception {
        org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit kit = org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create();
        try {
            ClusterWidePool onKit = new ClusterWidePool(new FakePool(kit.system(), here), view);
            java.util.concurrent.LinkedBlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
            io.procpool.api.Subscription s = onKit.subscribeAll(e -> seen.add(((io.procpool.api.PoolEvent) e).node()));
            io.procpool.api.PoolEvent local = new io.procpool.api.PoolEvent(java.time.Instant.EPOCH, "search", 8000,
                    java.util.OptionalLong.of(1), io.procpool.api.InstanceState.STARTING, io.procpool.api.InstanceState.HEALTHY, "probe");
            // Sent once, at once: unlike a stream's, this subscription is in place when it returns.
            kit.system().eventStream().tell(new org.apache.pekko.actor.typed.eventstream.EventStream.Publish<>(local));
            view.event(local.on("10.0.0.2:25520"));
            java.util.Set<String> got = new java.util.HashSet<>();
            got.add(seen.poll(10, java.util.concurrent.TimeUnit.SECONDS));
            got.add(seen.poll(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(java.util.Set.of("10.0.0.1:25520", "10.0.0.2:25520"), got, "this node's, named, and the other's");
            s.close();
        } finally {
            kit.shutdownTestKit();
        }
    }
}
