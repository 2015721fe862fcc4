package example;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.api.InstanceState;
import io.procpool.api.OpResult;
import io.procpool.api.PoolStatus;
import io.procpool.ProcessPool;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An application that keeps two worker processes alive with procpool: it starts the pool from a
 * Config, waits for its instances to be ready, reads the status and the backends, scales, and
 * stops everything on close(). Run it with {@code mvn compile exec:java}.
 */
public final class EmbeddedPool {

    /** The pool: two small HTTP servers, one per port, probed over TCP. */
    static Config config(int firstPort, int secondPort) {
        return ConfigFactory.parseString("""
                procpool {
                  admin.enabled = false              # no HTTP API inside this application
                  state-dir = "target/procpool-state"
                  services.web {
                    command = "python3 -m http.server {port} --bind 127.0.0.1"
                    ports = [%d, %d]
                    min-processes = 1
                    max-processes = 2
                    health-check { type = tcp, start-interval = 50ms }
                  }
                }
                """.formatted(firstPort, secondPort)).withFallback(ConfigFactory.load());
    }

    public static void main(String[] args) throws Exception {
        try (ProcessPool pool = ProcessPool.start(config(18180, 18181))) {
            awaitReady(pool, "web", 1);
            System.out.println("ready: " + pool.backends("web").toCompletableFuture().join());

            OpResult scaled = pool.scale("web", 2).toCompletableFuture().join();
            System.out.println(scaled.message());
            awaitReady(pool, "web", 2);

            PoolStatus status = pool.status().toCompletableFuture().join();
            status.services().forEach(s -> s.instances().forEach(i ->
                    System.out.printf("%s:%d pid %d %s%n", s.name(), i.port(), i.pid().orElse(0), i.state())));
            System.out.println("backends: " + pool.backends("web").toCompletableFuture().join());
        }
        System.out.println("closed: every process is gone");
    }

    /** Waits, on the pool's events, until {@code service} has {@code count} ready instances. */
    static List<String> awaitReady(ProcessPool pool, String service, int count) throws Exception {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        try (ProcessPool.Subscription events = pool.subscribe(e -> {
            if (e.service().equals(service) && e.to() == InstanceState.HEALTHY) {
                pool.backends(service).thenAccept(b -> {
                    if (b.size() >= count) {
                        ready.complete(null);
                    }
                });
            }
        })) {
            // The instances may have become ready before the subscription: look once, too.
            if (pool.backends(service).toCompletableFuture().join().size() >= count) {
                ready.complete(null);
            }
            ready.get(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS);
        }
        return pool.backends(service).toCompletableFuture().join();
    }
}
