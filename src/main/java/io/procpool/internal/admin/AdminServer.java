package io.procpool.internal.admin;

import com.typesafe.config.ConfigFactory;
import io.procpool.config.AdminSettings;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.internal.supervision.PoolSupervisor;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * Binds the admin API ({@link AdminRoutes}) on {@code pool.admin}. Its own server settings keep
 * it modest whatever the rest of an embedding application configures: small request bodies (the
 * API takes none), and every request answered in time (30 s; an operation such as a rolling
 * restart up to {@link AdminRoutes#OPERATION}) with JSON. Idle connections are dropped only after
 * the longest request could have been answered: Pekko HTTP counts a connection waiting for its
 * answer as idle, and an idle timeout shorter than an operation cut poolctl off with no answer.
 */
public final class AdminServer {

    private AdminServer() {
    }

    /**
     * Binds the API; the stage fails when the address cannot be bound.
     *
     * @param pool the root of the supervision tree
     * @param metrics the pool's metrics
     * @param reload re-reads the configuration for {@code POST /reload}, or null when there is
     *     no file to re-read
     */
    public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, AdminSettings admin,
                                                      ActorRef<PoolSupervisor.Command> pool, PoolMetrics metrics,
                                                      AdminRoutes.Reloader reload) {
        return bind(system, admin, pool, metrics, reload, AdminRoutes.OPERATION);
    }

    /** {@link #bind}, with operations' requests open for at most {@code operation} (tests). */
    static CompletionStage<ServerBinding> bind(ActorSystem<?> system, AdminSettings admin,
                                               ActorRef<PoolSupervisor.Command> pool, PoolMetrics metrics,
                                               AdminRoutes.Reloader reload, java.time.Duration operation) {
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("procpool.blocking-dispatcher"));
        AdminRoutes routes = new AdminRoutes(system, pool, admin.token(), metrics, blocking, reload, operation);
        ServerSettings settings = ServerSettings.create(ConfigFactory.parseString("""
                pekko.http.server.parsing.max-content-length = 64k
                pekko.http.server.idle-timeout = %ds
                pekko.http.server.request-timeout = %ds
                pekko.http.server.server-header = procpool
                pekko.http.server.parsing.error-handler = "io.procpool.internal.admin.ParsingErrors"
                """.formatted(operation.plusMinutes(1).toSeconds(), AdminRoutes.REQUEST.toSeconds()))
                .withFallback(system.settings().config()));
        return Http.get(system).newServerAt(admin.host(), admin.port()).withSettings(settings).bind(routes.routes())
                // Unbind in coordinated shutdown's service-unbind phase, before the children are stopped.
                .thenApply(binding -> binding.addToCoordinatedShutdown(java.time.Duration.ofSeconds(2), system));
    }
}
