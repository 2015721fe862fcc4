package io.procpool.internal.cluster;

import static io.procpool.internal.cluster.InJvmNodes.await;
import static io.procpool.internal.cluster.InJvmNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.ProcessPool;
import io.procpool.api.OpResult;
import io.procpool.api.ServiceStatus;
import io.procpool.config.ClusterSettings;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three pools as cluster nodes in one JVM, over simulated processes: the placement, scaling and the
 * failover logic against real Pekko Cluster membership on loopback (gossip and the resolver run in
 * real time; nothing here waits on a timing figure, only for each state, with a deadline). A
 * fourth, bare member (the test's own, started last so the placement singleton never runs on it)
 * downs a node as the Split Brain Resolver would.
 */
class ClusterFailoverTest {


    private final List<ProcessPool> pools = new ArrayList<>();
    private final List<SimulatedLauncher> processes = new ArrayList<>();
    /** Each pool's node, as a status names it. */
    private final List<String> names = new ArrayList<>();
    private ActorSystem<Void> observer;

    @AfterEach
    void stop() {
        InJvmNodes.closeAll(pools);
        if (observer != null) {
            observer.terminate();
        }
    }



    /** web's ready instances on {@code node}, from that node's own status (which lists every node's: the cluster's view). */
    private int ready(int node) {
        return ready(node, "web");
    }

    private int ready(int node, String service) {
        ServiceStatus s = pools.get(node).status().toCompletableFuture().join().services().stream()
                .filter(x -> x.name().equals(service)).findFirst().orElseThrow();
        return (int) s.ready().stream().filter(i -> i.node().equals(names.get(node))).count();
    }

    private String spread() {
        return java.util.stream.IntStream.range(0, pools.size()).mapToObj(n -> String.valueOf(ready(n))).collect(Collectors.joining("/"));
    }

    @Test
    void theClustersCountOutlivesTheCoordinatorsNodeAndADownedNodesShareGoesToTheOthers() throws Exception {
        List<Integer> clusterPorts = List.of(freePort(), freePort(), freePort(), freePort());
        String seeds = clusterPorts.subList(0, 3).stream().map(p -> "\"127.0.0.1:" + p + "\"").collect(Collectors.joining(", ", "[", "]"));
        for (int n = 0; n < 3; n++) {
            int base = 41000 + n * 10;
            Config config = ConfigFactory.parseString("procpool { admin.enabled = false\n"
                    + "cluster { enabled = true, bind = \"127.0.0.1:" + clusterPorts.get(n) + "\", seed-nodes = " + seeds
                    + (n == 1 ? ", roles = [api]" : "") + " }\n"
                    + "services.web { command = srv, ports = [" + base + ", " + (base + 1) + ", " + (base + 2) + "], "
                    + "min-processes = 3, max-processes = 6, health-check { type = tcp, interval = 200ms } }\n"
                    // Only node 2 has the role api asks for: both its instances run there.
                    + "services.api { command = srv, ports = [" + (base + 5) + ", " + (base + 6) + "], min-processes = 2, "
                    + "max-processes = 2, placement.roles = [api], health-check { type = tcp, interval = 200ms } } }");
            SimulatedLauncher launcher = new SimulatedLauncher();
            processes.add(launcher);
            names.add("127.0.0.1:" + clusterPorts.get(n));
            pools.add(ProcessPool.builder(config).source("node-" + (n + 1)).launcher(launcher)
                    .healthProbe(sys -> new SimulatedHealthProbe(launcher)).start());
        }
        await("min-processes, 1 ready on each node", () -> spread().equals("1/1/1"));
        // Scaled through the youngest node: the coordinator (a singleton on the oldest, node 1) decides.
        OpResult scaled = pools.get(2).scale("web", 6).toCompletableFuture().join();
        assertTrue(scaled.ok(), scaled.message());
        await("2 ready on each node", () -> spread().equals("2/2/2"));
        await("api's 2 on node 2, the one node with its role", () -> ready(1, "api") == 2 && ready(0, "api") == 0 && ready(2, "api") == 0);

        // A bare member of the same cluster, to down a node as the resolver would.
        ClusterSettings self = new ClusterSettings(true, "127.0.0.1", clusterPorts.get(3),
                clusterPorts.subList(0, 3).stream().map(p -> new ClusterSettings.HostPort("127.0.0.1", p)).toList(), List.of(),
                "127.0.0.1", ClusterSettings.OnDowned.REJOIN);
        observer = ActorSystem.create(Behaviors.empty(), ClusterConfig.SYSTEM, ClusterConfig.of(self, self.seedNodes(), "test"));
        Cluster cluster = Cluster.get(observer);
        await("the observer up", () -> cluster.selfMember().status().equals(org.apache.pekko.cluster.MemberStatus.up()));
        List<Long> onFirst = processes.get(0).started().stream().filter(p -> p.alive()).map(p -> p.pid()).toList();
        assertEquals(2, onFirst.size());

        // Node 1 runs the coordinator: a new one starts on node 2, learns the count of 6 from the
        // nodes' reports (not min-processes' 3), and places node 1's share on the others.
        cluster.manager().tell(new Down(org.apache.pekko.actor.AddressFromURIString.parse(
                ClusterConfig.address(new ClusterSettings.HostPort("127.0.0.1", clusterPorts.get(0))))));

        // The downed node kills its own at once; the other two run 3 each.
        await("the downed node's instances killed", () -> processes.get(0).started().stream().noneMatch(p -> p.alive()));
        await("3 ready on each of the other two", () -> ready(1) == 3 && ready(2) == 3);
        // It comes back as a new incarnation; once it is up the cluster moves instances back as a
        // surge, until 2 per node again.
        await("2 per node again, after the downed node came back", () -> spread().equals("2/2/2"));
        assertTrue(processes.get(0).started().size() > onFirst.size(), "the node that came back runs new instances");
    }
}
