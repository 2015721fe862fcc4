package io.procpool.internal.tuning;

import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.Pool;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training run behind the class-data archive that {@code bin/procpool cds} records (and
 * {@code mvn package} through it; {@code run --cds-training}): it waits until every instance of
 * the training pool (the command line's {@code CdsTrainingPool}) is up, crashes each once and
 * waits for the replacements, and asks the admin API what a user would. Run under
 * {@code -XX:ArchiveClassesAtExit}, the JVM records the classes all that loaded, and later starts
 * map them instead of loading and verifying them again: about a second sooner to a running pool
 * (docs/operations.md, docs/benchmarks.md). The crash puts the path from a crash to serving into
 * the archive too: without it, the first crash of a run loads those classes, tens of milliseconds.
 */
public final class CdsTraining {

    private static final Logger log = LoggerFactory.getLogger(CdsTraining.class);

    private CdsTraining() {
    }

    /** Trains on {@code pool} for at most 30 seconds; the caller closes the pool afterwards. */
    public static void run(Pool pool, Optional<InetSocketAddress> admin) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Set<Long> first = awaitReady(pool, Set.of(), deadline);
        first.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        awaitReady(pool, first, deadline);
        admin.ifPresent(a -> {
            for (String path : new String[] {"/status", "/status?detail=true", "/backends", "/metrics"}) {
                try (Socket s = new Socket(a.getAddress(), a.getPort())) {
                    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: procpool\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().readAllBytes();
                } catch (IOException e) {
                    log.debug("training request {}: {}", path, e.toString());
                }
            }
        });
    }

    /** Waits (until the deadline) for every instance to be ready on a pid not in {@code old}; their pids. */
    private static Set<Long> awaitReady(Pool pool, Set<Long> old, long deadline) {
        while (System.nanoTime() < deadline) {
            List<InstanceStatus> instances = pool.status().toCompletableFuture().join().services().stream()
                    .flatMap(s -> s.instances().stream()).toList();
            if (!instances.isEmpty() && instances.stream().allMatch(i -> (i.state() == InstanceState.HEALTHY
                    || i.state() == InstanceState.RUNNING) && i.pid().isPresent() && !old.contains(i.pid().getAsLong()))) {
                return instances.stream().map(i -> i.pid().getAsLong()).collect(Collectors.toSet());
            }
            try {
                Thread.sleep(50); // a polling loop in a one-off build step, not in the pool
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return Set.of();
    }
}
