package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three procpool JVMs on loopback, each with its own file, admin port, state dir and 3 ports for
 * the service "web" (6 instances across the cluster), over real processes: the instances spread
 * 2 per node; a node killed with SIGKILL has its 2 serving on the other two; a node paused with
 * SIGSTOP for 30 s finds itself downed when it runs again, kills its own at once and comes back
 * as a new incarnation, and in the end 6 instances listen, none twice. The 10 s of the failover
 * is a benchmark's figure (make bench-cluster); here each step has a generous deadline and the
 * time taken is printed.
 */
class ClusterIT {

    private static final int INSTANCES = 6;
    private static final Duration SETTLE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    /** One node: its manager, its cluster port and its ports for web. */
    private record Node(Manager manager, int clusterPort, List<Integer> ports) {
        /** web's instances on this node that are HEALTHY, port to pid (empty while the node does not answer). */
        Map<Integer, Long> healthy() {
            return manager.status().map(s -> {
                Map<Integer, Long> out = new java.util.TreeMap<>();
                for (JsonNode i : s.path("services").path("web").path("instances")) {
                    if (i.path("state").asText().equals("HEALTHY")) {
                        out.put(i.path("port").asInt(), i.path("pid").asLong());
                    }
                }
                return out;
            }).orElse(Map.of());
        }
    }

    private final List<Node> nodes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        List<Integer> clusterPorts = List.of(Manager.freePort(), Manager.freePort(), Manager.freePort());
        String seeds = clusterPorts.stream().map(p -> "\"127.0.0.1:" + p + "\"").collect(Collectors.joining(", ", "[", "]"));
        for (int n = 0; n < 3; n++) {
            Path home = Files.createDirectories(dir.resolve("node-" + (n + 1)));
            Manager m = new Manager(home);
            List<Integer> ports = List.of(Manager.freePort(), Manager.freePort(), Manager.freePort());
            m.writeConfig("cluster { enabled = true, bind = \"127.0.0.1:" + clusterPorts.get(n) + "\", seed-nodes = " + seeds + " }\n"
                    + "services.web { command = " + Manager.fake("") + ", ports = " + ports + ", min-processes = " + INSTANCES
                    + ", max-processes = " + INSTANCES + ", health-check { path = \"/health\", interval = 500ms, timeout = 400ms } }");
            nodes.add(new Node(m, clusterPorts.get(n), ports));
        }
        for (Node node : nodes) {
            node.manager().run();
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (Node node : nodes) {
            node.manager().close();
        }
    }

    private int healthyOn(List<Node> which) {
        return which.stream().mapToInt(n -> n.healthy().size()).sum();
    }

    /** Ports across the machine where something answers HTTP now (each port belongs to one node). */
    private List<Integer> listening() {
        return nodes.stream().flatMap(n -> n.ports().stream()).filter(p -> Manager.servingPid(p) != null).toList();
    }

    private void awaitEvenSpread() {
        Await.value(SETTLE, "web spread 2 per node, all HEALTHY", () -> nodes.stream().allMatch(n -> n.healthy().size() == 2) ? true : null);
    }

    @Test
    void spreadsEvenlyAndALostNodesInstancesServeOnTheOthers() throws Exception {
        awaitEvenSpread();
        assertEquals(INSTANCES, listening().size());

        Node lost = nodes.get(2);
        Map<Integer, Long> its = lost.healthy();
        long killed = System.nanoTime();
        Manager.signal(lost.manager().runs().get(0).pid(), "KILL");
        List<Node> survivors = nodes.subList(0, 2);
        Await.value(SETTLE, "6 HEALTHY on the two other nodes", () -> healthyOn(survivors) == INSTANCES ? true : null);
        System.out.printf("ClusterIT: SIGKILL of a node to its instances HEALTHY on the others: %d ms%n",
                (System.nanoTime() - killed) / 1_000_000);
        survivors.forEach(n -> assertEquals(3, n.healthy().size(), "every port of each survivor"));
        // The lost node's children died with it (children-die-with-manager).
        Await.value(Duration.ofSeconds(10), "the lost node's instances gone", () -> its.values().stream().noneMatch(Manager::alive)
                ? true : null);
        assertEquals(INSTANCES, listening().size());
    }

    @Test
    void aNodeStoppedWithSigtermHandsItsInstancesOverBeforeItStopsThem() throws Exception {
        awaitEvenSpread();
        Node leaving = nodes.get(2);
        Map<Integer, Long> its = leaving.healthy();
        List<Node> others = nodes.subList(0, 2);
        Process jvm = leaving.manager().runs().get(0);
        Manager.signal(jvm.pid(), "TERM");
        // The most HEALTHY on the other two seen so far, when the leaving node's first instance is gone.
        int most = 0;
        long end = System.nanoTime() + SETTLE.toNanos();
        while (its.values().stream().allMatch(Manager::alive)) {
            assertTrue(System.nanoTime() < end, "the leaving node's instances still run after " + SETTLE);
            most = Math.max(most, healthyOn(others));
        }
        most = Math.max(most, healthyOn(others));
        assertEquals(INSTANCES, most, "its 2 were HEALTHY on the others before it stopped its own");
        assertEquals(0, Manager.awaitExit(jvm, Duration.ofSeconds(60)));
        assertTrue(leaving.manager().output().contains("the other nodes run its share ready"), "the node says it handed over");
        Await.value(SETTLE, "3 HEALTHY on each of the other two", () -> others.stream().allMatch(n -> n.healthy().size() == 3) ? true : null);
    }

    @Test
    void aPausedNodeFindsItselfDownedKillsItsOwnAndComesBack() throws Exception {
        awaitEvenSpread();
        Node paused = nodes.get(2);
        Map<Integer, Long> its = paused.healthy();
        long pid = paused.manager().runs().get(0).pid();
        Manager.signal(pid, "STOP");
        long stopped = System.nanoTime();
        try {
            List<Node> others = nodes.subList(0, 2);
            Await.value(SETTLE, "6 HEALTHY on the two running nodes", () -> healthyOn(others) == INSTANCES ? true : null);
            // Its children still serve while it is paused: it cannot know yet.
            assertTrue(its.values().stream().allMatch(Manager::alive));
            // The rest of the 30 s pause: the pause is what is tested here, not a wait for something.
            Thread.sleep(Math.max(0, Duration.ofSeconds(30).minusNanos(System.nanoTime() - stopped).toMillis()));
        } finally {
            Manager.signal(pid, "CONT");
        }
        long resumed = System.nanoTime();
        Await.value(Duration.ofSeconds(30), "the paused node's old instances killed once it runs again",
                () -> its.values().stream().noneMatch(Manager::alive) ? true : null);
        System.out.printf("ClusterIT: SIGCONT to the downed node's old instances gone: %d ms%n", (System.nanoTime() - resumed) / 1_000_000);
        assertTrue(paused.manager().runs().get(0).isAlive(), "on-downed = rejoin: the node stays");
        // It comes back as a new incarnation and takes its share again (a surge: more for a moment, then 6).
        awaitEvenSpread();
        Await.value(Duration.ofSeconds(30), "exactly 6 listening across the machine", () -> listening().size() == INSTANCES ? true : null);
        assertTrue(paused.manager().output().contains("was downed by the cluster"), "the node says why it killed its instances");
        assertFalse(nodes.stream().anyMatch(n -> !n.manager().runs().get(0).isAlive()));
    }
}
