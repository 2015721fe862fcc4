package io.procpool.internal.cluster;

import io.procpool.ProcessPool;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** What the tests that run several cluster nodes in one JVM share: ports, waiting for a state, closing. */
final class InJvmNodes {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private InJvmNodes() {
    }

    /** A port free on loopback now, for a node's cluster address. */
    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Polls {@code done} until it holds, within 30 s: cluster gossip runs in real time. */
    static void await(String what, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + DEADLINE.toSeconds() + " s: " + what);
            }
            Thread.sleep(50); // polling a state across cluster gossip; the deadline bounds it
        }
    }

    /** Closes every pool at once (each leaves the cluster first; the others need not wait for it). */
    static void closeAll(List<ProcessPool> pools) {
        List<CompletableFuture<?>> closing = pools.stream().<CompletableFuture<?>>map(p -> p.closeAsync().toCompletableFuture()).toList();
        closing.forEach(c -> c.orTimeout(30, TimeUnit.SECONDS).join());
    }
}
