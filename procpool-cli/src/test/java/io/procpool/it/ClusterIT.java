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
 * as a new incarnation, and in the end 6 instances listen, none twice; every node's status and
 * poolctl list all 6 with their nodes, and scaling asked of any node is the cluster's; a node
 * that leaves, and then joins, under load through another node's gateway fails no request; a
 * restart asked of one node rolls every node. The 10 s of the failover is a benchmark's figure (make
 * bench-cluster); here each step has a generous deadline and the time taken is printed.
 */
class ClusterIT {

    private static final int INSTANCES = 6;
    private static final Duration SETTLE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    /** One node: its manager, its cluster port, its gateway's port and its ports for web. */
    private record Node(Manager manager, int clusterPort, int gatewayPort, List<Integer> ports) {
        /** Its name in a status: the host and port of its cluster address. */
        String name() {
            return "127.0.0.1:" + clusterPort;
        }

        /**
         * web's instances on this node that are HEALTHY, port to pid, from its own status (which
         * lists every node's: the cluster's view), empty while the node does not answer.
         */
        Map<Integer, Long> healthy() {
            return manager.status().map(s -> {
                Map<Integer, Long> out = new java.util.TreeMap<>();
                for (JsonNode i : s.path("services").path("web").path("instances")) {
                    if (i.path("state").asText().equals("HEALTHY") && i.path("node").asText().equals(name())) {
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
            int gateway = Manager.freePort();
            m.writeConfig("cluster { enabled = true, bind = \"127.0.0.1:" + clusterPorts.get(n) + "\", seed-nodes = " + seeds + " }\n"
                    + "gateway { enabled = true, port = " + gateway + " }\n"
                    + "services.web { command = " + Manager.fake("") + ", ports = " + ports + ", min-processes = " + INSTANCES
                    + ", max-processes = " + 3 * 3 + ", health-check { path = \"/health\", interval = 500ms, timeout = 400ms } }");
            nodes.add(new Node(m, clusterPorts.get(n), gateway, ports));
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
        Await.value(Duration.ofSeconds(15), "the status lists the two nodes left", () -> survivors.get(0).manager().status()
                .map(s -> s.path("cluster").path("nodes").size() == 2 ? true : null).orElse(null));

        // 9 wanted, 6 ports left: what fits nowhere is reported, not hidden.
        assertEquals(200, adminPost(survivors.get(1), "/services/web/scale?instances=9").statusCode());
        Await.value(Duration.ofSeconds(15), "3 unplaced in the status", () -> survivors.get(0).manager().status()
                .map(s -> s.path("cluster").path("unplaced").path("web").asInt() == 3 ? true : null).orElse(null));
    }

    /** web's instances in {@code node}'s status that are HEALTHY, node name to count. */
    private static Map<String, Integer> healthyByNode(Node node) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        node.manager().status().ifPresent(s -> s.path("services").path("web").path("instances").forEach(i -> {
            if (i.path("state").asText().equals("HEALTHY")) {
                out.merge(i.path("node").asText(), 1, Integer::sum);
            }
        }));
        return out;
    }

    @Test
    void everyNodeShowsRoutesToAndScalesTheWholeCluster() throws Exception {
        awaitEvenSpread();
        Map<String, Integer> twoEach = nodes.stream().collect(Collectors.toMap(Node::name, n -> 2, (a, b) -> a, java.util.TreeMap::new));
        for (Node n : nodes) {
            Await.value(Duration.ofSeconds(15), n.name() + "'s status lists 2 HEALTHY on each node",
                    () -> healthyByNode(n).equals(twoEach) ? true : null);
            assertEquals(INSTANCES, n.manager().json("/backends").orElseThrow().path("web").size(), "every node's ready instances");
        }

        // poolctl against one node: a table of all 6, each with its node.
        Manager asked = nodes.get(1).manager();
        Process ctl = asked.start("ctl", "status", "--admin", "http://127.0.0.1:" + asked.adminPort);
        assertEquals(0, Manager.awaitExit(ctl, Duration.ofSeconds(30)));
        List<String> lines = asked.output().lines().toList();
        assertTrue(lines.get(0).startsWith("SERVICE") && lines.get(0).contains("NODE"), lines.get(0));
        for (Node n : nodes) {
            assertEquals(2, lines.stream().filter(l -> l.contains(" " + n.name() + " ") && l.contains("HEALTHY")).count(),
                    "poolctl lists 2 HEALTHY on " + n.name() + ":\n" + String.join("\n", lines));
        }

        // One node's gateway reaches the instances of the other two.
        java.util.Set<Long> answered = new java.util.HashSet<>();
        for (int i = 0; i < 60; i++) {
            answered.add(Manager.JSON.readTree(gatewayPost(nodes.get(0), "/web/slow?ms=0").body()).path("pid").asLong());
        }
        for (Node n : nodes.subList(1, 3)) {
            assertTrue(n.healthy().values().stream().anyMatch(answered::contains), "node 1's gateway reached " + n.name()
                    + "'s instances: answered by " + answered);
        }

        // Node 1's metrics count every node's instances.
        String metrics = CLIENT.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + nodes.get(0).manager().adminPort + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("procpool_cluster_nodes 3.0"), metrics);
        for (Node n : nodes) {
            assertTrue(metrics.contains("procpool_cluster_instances{node=\"" + n.name() + "\",service=\"web\",state=\"HEALTHY\"} 2.0"),
                    metrics);
        }

        // Scaling asked of one node is the cluster's count: 9 is every port of every node. Node
        // 1's /events tells the other nodes' new instances as they start, each with its node.
        try (java.net.Socket events = new java.net.Socket("127.0.0.1", nodes.get(0).manager().adminPort)) {
            events.getOutputStream().write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            events.getOutputStream().flush();
            java.net.http.HttpResponse<String> scaled = adminPost(nodes.get(2), "/services/web/scale?instances=9");
            assertEquals(200, scaled.statusCode(), scaled.body());
            assertTrue(scaled.body().contains("across the cluster"), scaled.body());
            Await.value(SETTLE, "3 HEALTHY on each node", () -> nodes.stream().allMatch(n -> n.healthy().size() == 3) ? true : null);
            assertEquals(9, nodes.get(0).manager().status().orElseThrow().path("services").path("web").path("desired").asInt());
            String wanted = "\"node\":\"" + nodes.get(2).name() + "\"";
            assertTrue(readUntil(events, wanted, Duration.ofSeconds(10)).contains(wanted), "node 1's /events has node 3's transitions");
        }
        java.net.http.HttpResponse<String> tooMany = adminPost(nodes.get(0), "/services/web/scale?instances=10");
        assertEquals(400, tooMany.statusCode(), tooMany.body());
        assertTrue(tooMany.body().contains("between 6 and 9") && tooMany.body().contains("counted across the cluster"), tooMany.body());
    }

    /** What {@code socket} sends until {@code wanted} is in it, or {@code deadline} has passed. */
    private static String readUntil(java.net.Socket socket, String wanted, Duration deadline) throws java.io.IOException {
        socket.setSoTimeout(500);
        StringBuilder got = new StringBuilder();
        byte[] buffer = new byte[8192];
        long end = System.nanoTime() + deadline.toNanos();
        while (!got.toString().contains(wanted) && System.nanoTime() < end) {
            try {
                int n = socket.getInputStream().read(buffer);
                if (n < 0) {
                    break;
                }
                got.append(new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8));
            } catch (java.net.SocketTimeoutException e) {
                // nothing yet: read again until the deadline
            }
        }
        return got.toString();
    }

    private static java.net.http.HttpResponse<String> adminPost(Node node, String path) throws Exception {
        return CLIENT.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.manager().adminPort + path))
                .timeout(Duration.ofSeconds(300)).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static final java.net.http.HttpClient CLIENT = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** A POST through {@code node}'s gateway. */
    private static java.net.http.HttpResponse<String> gatewayPost(Node node, String path) throws Exception {
        return CLIENT.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.gatewayPort() + path))
                .timeout(Duration.ofSeconds(15)).POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs through one node's gateway from 4 threads until stopped (or 120 s): a POST is never sent twice, so a cut one fails. */
    private static final class Load implements AutoCloseable {
        final java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.Set<Long> answeredBy = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();

        Load(Node entry, String path) {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    while (!stop.get() && System.nanoTime() < deadline) {
                        try {
                            var r = gatewayPost(entry, path);
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
                                answeredBy.add(Manager.JSON.readTree(r.body()).path("pid").asLong());
                            } else {
                                failures.add(r.statusCode() + " " + r.body());
                            }
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }, "cluster-load-" + t);
                th.start();
                threads.add(th);
            }
        }

        /** Waits for {@code more} answers after now: the load goes on after what the test did. */
        void awaitMore(int more) {
            int before = ok.get();
            Await.value(Duration.ofSeconds(20), more + " more POSTs answered", () -> ok.get() >= before + more ? true : null);
        }

        @Override
        public void close() {
            stop.set(true);
            try {
                for (Thread th : threads) {
                    th.join(Duration.ofSeconds(30).toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aNodeThatLeavesAndOneThatJoinsUnderLoadThroughAnotherNodesGatewayFailNoRequest() throws Exception {
        awaitEvenSpread();
        Node entry = nodes.get(0);
        Node leaving = nodes.get(2);
        Map<Integer, Long> its = leaving.healthy();
        Await.value(Duration.ofSeconds(15), "node 1 sees the leaving node's instances",
                () -> healthyByNode(entry).getOrDefault(leaving.name(), 0) == 2 ? true : null);
        Load load = new Load(entry, "/web/slow?ms=100");
        int answeredWhenLeft;
        List<String> failedInTheLeave;
        try (load) {
            Await.value(Duration.ofSeconds(15), "a POST answered by the leaving node's instances",
                    () -> its.values().stream().anyMatch(load.answeredBy::contains) ? true : null);
            Process jvm = leaving.manager().runs().get(0);
            Manager.signal(jvm.pid(), "TERM");
            assertEquals(0, Manager.awaitExit(jvm, Duration.ofSeconds(90)));
            load.awaitMore(20);
            answeredWhenLeft = load.ok.get();
            failedInTheLeave = List.copyOf(load.failures);
            assertTrue(its.values().stream().noneMatch(Manager::alive), "the leaving node's instances are gone");

            // The same node joins again (a new member): it takes its share as a surge, the others
            // giving theirs up, drained, only once its own are ready.
            leaving.manager().run();
            awaitEvenSpread();
            Await.value(Duration.ofSeconds(15), "a POST answered by the joined node's instances",
                    () -> leaving.healthy().values().stream().anyMatch(load.answeredBy::contains) ? true : null);
            load.awaitMore(20);
        }
        System.out.printf("ClusterIT: through another node's gateway, a graceful leave: %d POSTs answered, %d failed; then a join: "
                + "%d answered, %d failed%n", answeredWhenLeft, failedInTheLeave.size(), load.ok.get() - answeredWhenLeft,
                load.failures.size() - failedInTheLeave.size());
        assertEquals(List.of(), failedInTheLeave, "no POST through node 1's gateway failed while node 3 left");
        assertEquals(List.of(), load.failures, "no POST through node 1's gateway failed while node 3 joined");
    }

    @Test
    void aRestartAskedOfOneNodeRollsEveryNodeOneAfterAnotherUnderLoad() throws Exception {
        awaitEvenSpread();
        Map<Integer, Long> before = new java.util.HashMap<>();
        nodes.forEach(n -> before.putAll(n.healthy()));
        Node asked = nodes.get(1);
        Load load = new Load(nodes.get(0), "/web/slow?ms=50");
        java.net.http.HttpResponse<String> answer;
        try (load) {
            load.awaitMore(10);
            answer = adminPost(asked, "/services/web/restart");
            load.awaitMore(10);
        }
        assertEquals(200, answer.statusCode(), answer.body());
        for (Node n : nodes) {
            assertTrue(answer.body().contains("on " + n.name() + ": "), "the answer says what each node did: " + answer.body());
        }
        awaitEvenSpread();
        Map<Integer, Long> after = new java.util.HashMap<>();
        nodes.forEach(n -> after.putAll(n.healthy()));
        assertTrue(after.values().stream().noneMatch(before::containsValue), "every instance on every node is a new process: "
                + before + " -> " + after);
        System.out.printf("ClusterIT: rolling restart across 3 nodes under load: %d POSTs answered, %d failed%n", load.ok.get(),
                load.failures.size());
        assertEquals(List.of(), load.failures, "no POST failed during the roll");
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
        // The node that came back sees the whole cluster again, not what it saw while cut off.
        Await.value(Duration.ofSeconds(15), "the rejoined node's status lists 3 nodes and its feed 6 instances", () -> paused.manager()
                .status().filter(s -> s.path("cluster").path("nodes").size() == 3).flatMap(s -> paused.manager().json("/backends"))
                .filter(b -> b.path("web").size() == INSTANCES).map(b -> true).orElse(null));
        assertTrue(paused.manager().output().contains("was downed by the cluster"), "the node says why it killed its instances");
        assertFalse(nodes.stream().anyMatch(n -> !n.manager().runs().get(0).isAlive()));
    }
}
