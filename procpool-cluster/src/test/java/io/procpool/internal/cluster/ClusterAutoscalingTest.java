package io.procpool.internal.cluster;

import static io.procpool.internal.cluster.InJvmNodes.await;
import static io.procpool.internal.cluster.InJvmNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.procpool.ProcessPool;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import io.procpool.testkit.SimulatedResources;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Autoscaling across a cluster, over simulated processes in one JVM: each node reads its
 * instances' CPU, the placement coordinator averages the nodes' readings and changes the
 * cluster's count, through the same policy as a pool alone.
 */
@org.junit.jupiter.api.extension.ExtendWith(org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension.class)
class ClusterAutoscalingTest {


    private final List<ProcessPool> pools = new ArrayList<>();
    private final List<SimulatedLauncher> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        InJvmNodes.closeAll(pools);
    }



    private int desired() {
        return pools.get(0).status().toCompletableFuture().join().services().get(0).desired();
    }

    private int ready() {
        return pools.get(0).status().toCompletableFuture().join().services().get(0).ready().size();
    }

    /** The CPU every instance uses, those started later included (the load does not spread over more instances here). */
    private volatile double cores;

    /** Every process of every node uses {@code cores} of CPU from now on, and so does every one started later. */
    private void load(double cores) {
        this.cores = cores;
        processes.forEach(l -> l.started().stream().filter(p -> p.alive()).forEach(p -> p.load(cores, 10_000_000)));
    }

    @Test
    void theClusterScalesOnTheAverageOfItsNodesReadings() throws Exception {
        List<Integer> clusterPorts = List.of(freePort(), freePort(), freePort());
        String seeds = clusterPorts.stream().map(p -> "\"127.0.0.1:" + p + "\"").collect(Collectors.joining(", ", "[", "]"));
        for (int n = 0; n < 3; n++) {
            int base = 43000 + n * 10;
            // Real time: the CPU readings are rates over the time between two samples.
            SimulatedLauncher launcher = new SimulatedLauncher(System::nanoTime);
            launcher.onStart("web", p -> p.load(cores, 10_000_000));
            processes.add(launcher);
            pools.add(ProcessPool.builder(ConfigFactory.parseString("procpool { admin.enabled = false\n"
                    + "cluster { enabled = true, bind = \"127.0.0.1:" + clusterPorts.get(n) + "\", seed-nodes = " + seeds + " }\n"
                    + "services.web { command = srv, ports = [" + base + ", " + (base + 1) + ", " + (base + 2) + "], "
                    + "min-processes = 3, max-processes = 9, health-check { type = tcp, interval = 200ms },\n"
                    + "  scaling { enabled = true, metric = cpu, target = 0.5, interval = 200ms, up-after = 600ms, down-after = 600ms } } }"))
                    .source("node-" + (n + 1)).launcher(launcher).healthProbe(sys -> new SimulatedHealthProbe(launcher))
                    .resources(new SimulatedResources(launcher)).start());
        }
        await("3 ready across the cluster", () -> ready() == 3);
        assertEquals(3, desired());

        // Every instance at 1 core against a target of 0.5, new ones too: twice the instances at
        // each decision (ceil(n * 1.0 / 0.5)) up to max-processes, every port of every node.
        load(1.0);
        await("9 ready across the cluster", () -> desired() == 9 && ready() == 9);

        // Idle again: back to min-processes.
        load(0.0);
        await("back to 3", () -> desired() == 3 && ready() == 3);
    }
}
