package io.procpool.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.procpool.config.AdminSettings;
import io.procpool.supervision.PoolStatus;
import io.procpool.supervision.PoolSupervisor;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The admin HTTP API on {@code pool.admin}: JSON in, JSON out, errors as
 * {@code {"error": "..."}} with a 4xx status. Routes talk to the supervision tree only by asking
 * its root, which answers from the snapshots its pools push.
 */
public final class AdminServer extends AllDirectives {

    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

    private final ActorSystem<?> system;
    private final ActorRef<PoolSupervisor.Command> pool;

    private AdminServer(ActorSystem<?> system, ActorRef<PoolSupervisor.Command> pool) {
        this.system = system;
        this.pool = pool;
    }

    /** Binds the API; the stage fails when the address cannot be bound. */
    public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, AdminSettings admin,
                                                      ActorRef<PoolSupervisor.Command> pool) {
        return Http.get(system).newServerAt(admin.host(), admin.port()).bind(new AdminServer(system, pool).routes());
    }

    /** Every route, with JSON errors. */
    Route routes() {
        return handleRejections(jsonRejections(), () -> concat(
                path("status", () -> get(() -> withStatus(s -> json(StatusCodes.OK, StatusJson.pool(s))))),
                path("backends", () -> get(() -> withStatus(s -> json(StatusCodes.OK, StatusJson.backends(s)))))));
    }

    private Route withStatus(java.util.function.Function<PoolStatus, Route> inner) {
        CompletionStage<PoolStatus> status = AskPattern.ask(pool, PoolSupervisor.GetStatus::new, ASK_TIMEOUT, system.scheduler());
        return onSuccess(status, inner::apply);
    }

    Route json(StatusCode code, JsonNode body) {
        try {
            byte[] bytes = StatusJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
            return complete(HttpResponse.create().withStatus(code).withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, bytes)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Pekko's own rejection statuses, with the text wrapped as {@code {"error": "..."}}. */
    private static RejectionHandler jsonRejections() {
        return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
            if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return response;
            }
            String text = response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
                    ? strict.getData().utf8String() : response.status().reason();
            var body = StatusJson.JSON.createObjectNode().put("error", text.isEmpty() ? response.status().reason() : text);
            return response.withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body.toString()));
        });
    }
}
