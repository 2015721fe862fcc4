package io.procpool.internal.admin;

import io.procpool.internal.Dispatchers;
import com.typesafe.config.ConfigFactory;
import io.procpool.config.AdminSettings;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.api.Pool;
import com.typesafe.config.ConfigValueFactory;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * Binds the admin API ({@link AdminRoutes}) on {@code procpool.admin}. Its own server settings keep
 * it modest whatever the rest of an embedding application configures: small request bodies (the
 * API takes none), and every request answered in time (30 s; an operation up to the pool's
 * longest answer) with JSON.
 */
public final class AdminServer {

    private AdminServer() {
    }

    /**
     * Binds the API; the stage fails when the address cannot be bound.
     *
     * @param pool the pool's front door
     * @param metrics the pool's metrics
     */
    public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, AdminSettings admin, Pool pool, PoolMetrics metrics) {
        return bind(system, admin, admin::token, pool, metrics, java.util.Optional.empty());
    }

    /**
     * Binds the API, with each instance's requests in flight through the gateway in the status.
     *
     * @param inFlight requests in flight to the instance of a service on a port
     */
    public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, AdminSettings admin, Pool pool, PoolMetrics metrics,
                                                      java.util.Optional<java.util.function.ToIntBiFunction<String, Integer>> inFlight) {
        return bind(system, admin, admin::token, pool, metrics, inFlight);
    }

    /**
     * Binds the API, with the token mutating calls need asked for on each call (the latest
     * reload's, so that a rotated token applies at once).
     *
     * @param token the token now; empty: no token is needed
     */
    public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, AdminSettings admin,
                                                      java.util.function.Supplier<java.util.Optional<String>> token, Pool pool,
                                                      PoolMetrics metrics,
                                                      java.util.Optional<java.util.function.ToIntBiFunction<String, Integer>> inFlight) {
        return bind(system, admin, token, pool, metrics, inFlight, History.following(pool));
    }

    /**
     * Binds the API, with a dashboard history that has followed the pool since before the bind
     * (procpool's own start makes it before the pools start, and binds after their first launches).
     * The history is closed with the API at shutdown.
     */
    public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, AdminSettings admin,
                                                      java.util.function.Supplier<java.util.Optional<String>> token, Pool pool,
                                                      PoolMetrics metrics,
                                                      java.util.Optional<java.util.function.ToIntBiFunction<String, Integer>> inFlight,
                                                      History history) {
        Executor blocking = system.dispatchers().lookup(Dispatchers.blocking());
        AdminRoutes routes = new AdminRoutes(system, pool, token, metrics, blocking, inFlight, history);
        // The idle timeout outlasts the longest answer: Pekko HTTP counts a connection that waits
        // for its answer as idle, and a shorter one cut poolctl off with no answer at all.
        ServerSettings settings = ServerSettings.create(ConfigFactory.empty()
                .withValue("pekko.http.server.parsing.max-content-length", ConfigValueFactory.fromAnyRef("64k"))
                .withValue("pekko.http.server.idle-timeout", ConfigValueFactory.fromAnyRef(
                        pool.longestAnswer().plusMinutes(1).toSeconds() + "s"))
                .withValue("pekko.http.server.request-timeout", ConfigValueFactory.fromAnyRef(AdminRoutes.REQUEST.toSeconds() + "s"))
                .withValue("pekko.http.server.server-header", ConfigValueFactory.fromAnyRef("procpool"))
                // HEAD wherever GET is (RFC 9110 asks it of a general-purpose server; monitors and
                // load balancers probe /healthz with it): answered as the GET, without the body.
                .withValue("pekko.http.server.transparent-head-requests", ConfigValueFactory.fromAnyRef(true))
                .withValue("pekko.http.server.parsing.error-handler", ConfigValueFactory.fromAnyRef(ParsingErrors.class.getName()))
                .withFallback(system.settings().config()));
        return Http.get(system).newServerAt(admin.host(), admin.port()).withSettings(settings).bind(routes.routes())
                // Unbind in coordinated shutdown's service-unbind phase, before the children are stopped.
                .thenApply(binding -> binding.addToCoordinatedShutdown(java.time.Duration.ofSeconds(2), system));
    }
}
