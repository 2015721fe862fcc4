package io.procpool.internal.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.api.Pool;
import io.procpool.config.GatewaySettings;
import io.procpool.internal.metrics.PoolMetrics;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * Binds the gateway on {@code procpool.gateway}, with server and client settings of its own whatever
 * an embedding application configures for Pekko HTTP: bodies of any size, streamed (a route's
 * {@code max-body} is the limit); no server-wide request timeout (each route has its own); no
 * {@code Server} or {@code User-Agent} header of Pekko's added to what passes through; the
 * client's connection pool to each instance never retries by itself (the gateway decides, see
 * {@link Retry}).
 */
public final class GatewayServer {

    /**
     * Connections kept open to one instance at most. Pekko's pool opens them as requests need
     * them; 64 in flight per instance is well past what a small service on one port answers at
     * once, and what is over waits in the pool's queue.
     */
    static final int MAX_CONNECTIONS = 64;
    /** Requests one instance's pool holds before it refuses (a power of two, as Pekko requires). */
    static final int MAX_OPEN_REQUESTS = 1024;

    private GatewayServer() {
    }

    /** The traffic view the gateway will use: created before the tree, which drains through it. */
    public static Traffic traffic(io.procpool.config.PoolSettings settings) {
        return new Traffic(settings.gateway(), settings.services().values(), System::nanoTime);
    }

    /**
     * Binds the gateway in front of {@code pool}; the stage fails when the address cannot be bound.
     * At the actor system's shutdown it stops accepting, and its requests in flight get
     * {@link io.procpool.config.PoolSettings#shutdownDrain()} before the instances are stopped.
     */
    public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, io.procpool.config.PoolSettings poolSettings, Pool pool, Traffic traffic,
                                                      PoolMetrics metrics) {
        GatewaySettings settings = poolSettings.gateway();
        traffic.follow(pool, timers(system));
        Gateway gateway = new Gateway(system, traffic, settings, new GatewayMetrics(metrics.registry(), traffic), timers(system));
        Config c = ConfigFactory.parseString("""
                pekko.http.server {
                  server-header = ""
                  request-timeout = infinite
                  idle-timeout = 75s
                  remote-address-attribute = on
                  parsing.max-content-length = infinite
                  max-connections = 4096
                }
                """).withFallback(system.settings().config());
        return Http.get(system).newServerAt(settings.host(), settings.port()).withSettings(ServerSettings.create(c))
                .bind(gateway::handle)
                // Unbind in coordinated shutdown's first service phase, and give the requests in
                // flight time to finish before the children are stopped (a later phase).
                .thenApply(binding -> binding.addToCoordinatedShutdown(poolSettings.shutdownDrain(), system));
    }

    /** The client connection pool to instances of a route whose answers may take {@code requestTimeout} to begin. */
    static ConnectionPoolSettings clientPool(ActorSystem<?> system, Duration requestTimeout) {
        long ms = requestTimeout.toMillis();
        Config c = ConfigFactory.parseString("""
                pekko.http.host-connection-pool {
                  max-connections = %d
                  max-open-requests = %d
                  max-retries = 0
                  pipelining-limit = 1
                  client.idle-timeout = %dms
                  client.user-agent-header = ""
                  client.parsing.max-content-length = infinite
                }
                pekko.http.client {
                  idle-timeout = %dms
                  user-agent-header = ""
                  parsing.max-content-length = infinite
                }
                """.formatted(MAX_CONNECTIONS, MAX_OPEN_REQUESTS, ms, ms)).withFallback(system.settings().config());
        return ConnectionPoolSettings.create(c);
    }

    /** Timers and tasks of the gateway on the streams' dispatcher, never on the pool's actors' threads. */
    private static ServiceTraffic.Timers timers(ActorSystem<?> system) {
        scala.concurrent.ExecutionContextExecutor streams = system.dispatchers().lookup(
                io.procpool.internal.Dispatchers.streams());
        return new ServiceTraffic.Timers() {
            @Override
            public Runnable schedule(Duration delay, Runnable task) {
                Cancellable c = system.scheduler().scheduleOnce(delay, task, streams);
                return c::cancel;
            }

            @Override
            public void execute(Runnable task) {
                streams.execute(task);
            }
        };
    }
}
