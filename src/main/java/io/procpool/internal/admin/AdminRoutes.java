package io.procpool.internal.admin;

import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import static org.apache.pekko.http.javadsl.server.PathMatchers.integerSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.internal.process.LogFiles;
import io.procpool.api.OpResult;
import io.procpool.internal.supervision.PoolActor;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.internal.supervision.PoolSupervisor;
import io.procpool.api.ScalingEvent;
import io.procpool.api.ServiceStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * The admin API's routes: JSON in and out; every error is {@code {"error": "...", "detail": ...}}
 * with a 4xx status for a client's mistake, never a stack trace. Routes reach the supervision tree
 * only by asking its root; file and {@code /proc} reads run on the blocking dispatcher.
 * See {@code docs/api.md}.
 */
public final class AdminRoutes extends AllDirectives {

    /** Re-reads the configuration and applies it; for {@code POST /reload}. */
    public interface Reloader {
        CompletionStage<OpResult> reload();
    }

    private static final Duration ASK = Duration.ofSeconds(5);
    /**
     * How long an operation may keep its request open (poolctl waits for the outcome of a rolling
     * restart or a stop). Every operation has its own deadline in the pool and answers within it;
     * one still under way after this is answered 503, and goes on.
     */
    static final Duration OPERATION = Duration.ofMinutes(10);
    /** Every other request is answered within this, or gets a JSON 503. */
    static final Duration REQUEST = Duration.ofSeconds(30);
    private static final int MAX_LOG_LINES = 10_000;
    private static final long MAX_BODY = 64 * 1024;
    private static final ContentType.NonBinary NGINX = ContentTypes.TEXT_PLAIN_UTF8;

    private final ActorSystem<?> system;
    private final ActorRef<PoolSupervisor.Command> pool;
    private final Optional<String> token;
    private final PoolMetrics metrics;
    private final Executor blocking;
    private final Reloader reloader;
    /** Live event streams, so that a shutdown can end them cleanly instead of cutting them. */
    private final java.util.Set<ActorRef<Object>> eventStreams = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final PoolEvent END_OF_STREAM = new PoolEvent(java.time.Instant.EPOCH, "", 0,
            java.util.OptionalLong.empty(), io.procpool.api.InstanceState.STOPPED,
            io.procpool.api.InstanceState.STOPPED, "end of stream");

    /** How long an operation's request may stay open ({@link #OPERATION}; shorter in tests). */
    private final Duration operation;

    AdminRoutes(ActorSystem<?> system, ActorRef<PoolSupervisor.Command> pool, Optional<String> token, PoolMetrics metrics,
                Executor blocking, Reloader reloader, Duration operation) {
        this.system = system;
        this.operation = operation;
        this.pool = pool;
        this.token = token;
        this.metrics = metrics;
        this.blocking = blocking;
        this.reloader = reloader;
        org.apache.pekko.actor.CoordinatedShutdown.get(system).addTask(
                org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(), "procpool-end-event-streams", () -> {
                    eventStreams.forEach(ref -> ref.tell(END_OF_STREAM));
                    return CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
                });
    }

    /** Every route, with JSON errors. */
    public Route routes() {
        // The API takes no request bodies: read at most a small one, refuse anything larger (413).
        return withRequestTimeoutResponse(AdminRoutes::timedOut, () -> handleExceptions(jsonExceptions(),
                () -> handleRejections(jsonRejections(), () -> toStrictEntity(
                Duration.ofSeconds(5), MAX_BODY, () -> concat(
                pathEndOrSingleSlash(() -> get(this::index)),
                path("status", () -> get(() -> withStatus(s -> json(StatusCodes.OK, StatusJson.pool(s))))),
                path(segment("status").slash(segment()), name -> get(() -> serviceStatus(name))),
                path("backends", () -> get(() -> parameterOptional("format", this::backends))),
                path("metrics", () -> get(this::metrics)),
                path("events", () -> get(this::events)),
                path("reload", () -> post(() -> authorized(this::reload))),
                pathPrefix(segment("services").slash(segment()), this::service))))));
    }

    /** What a request that ran out of time gets instead of Pekko HTTP's plain-text 503. */
    private static HttpResponse timedOut(org.apache.pekko.http.javadsl.model.HttpRequest request) {
        return HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE).withEntity(HttpEntities.create(
                ContentTypes.APPLICATION_JSON, StatusJson.error("no answer in time", request.method().value() + " "
                        + request.getUri().path() + " was not answered within its time; an operation goes on "
                        + "(GET /status follows it)").toString()));
    }

    private Route service(String service) {
        return concat(
                path(segment("instances").slash(integerSegment()).slash("log"),
                        port -> get(() -> parameterOptional("lines", lines -> log(service, port, lines)))),
                path("restart", () -> post(() -> authorized(() -> parameterOptional("wait", w -> restart(service, w))))),
                path("stop", () -> post(() -> authorized(() -> operate(service, "stop", PoolActor.StopService::new)))),
                path("start", () -> post(() -> authorized(() -> operate(service, "start", PoolActor.StartService::new)))),
                path("scale", () -> post(() -> authorized(() -> parameterOptional("instances", n -> scale(service, n))))));
    }

    private Route index() {
        var node = StatusJson.JSON.createObjectNode().put("procpool", "admin API");
        var endpoints = node.putArray("endpoints");
        List.of("GET /status", "GET /status/SERVICE", "GET /backends?format=json|yarp|traefik|nginx", "GET /metrics",
                "GET /events", "GET /services/SERVICE/instances/PORT/log?lines=N", "POST /services/SERVICE/restart",
                "POST /services/SERVICE/stop", "POST /services/SERVICE/start", "POST /services/SERVICE/scale?instances=N",
                "POST /reload").forEach(endpoints::add);
        return json(StatusCodes.OK, node);
    }

    private Route withStatus(Function<PoolStatus, Route> inner) {
        CompletionStage<PoolStatus> status = AskPattern.ask(pool, PoolSupervisor.GetStatus::new, ASK, system.scheduler());
        return onSuccess(status, inner::apply);
    }

    private Route withService(String name, Function<ServiceStatus, Route> inner) {
        return withService(name, (all, s) -> inner.apply(s));
    }

    /** {@code inner} gets the service and the status it is part of; a name that is not a service is a 404. */
    private Route withService(String name, java.util.function.BiFunction<PoolStatus, ServiceStatus, Route> inner) {
        return withStatus(all -> all.services().stream().filter(x -> x.name().equals(name)).findFirst()
                .map(s -> inner.apply(all, s)).orElseGet(() -> error(StatusCodes.NOT_FOUND, "no service '" + name + "'",
                        "services: " + String.join(", ", all.services().stream().map(ServiceStatus::name).toList()))));
    }

    private Route serviceStatus(String name) {
        return withService(name, (all, s) -> json(StatusCodes.OK, StatusJson.service(s, true, all.atNanos())));
    }

    private Route backends(Optional<String> format) {
        BackendFormats.Format f = BackendFormats.Format.named(format.orElse("json"));
        if (f == null) {
            return error(StatusCodes.BAD_REQUEST, "unknown format '" + format.get() + "'", "formats: json, yarp, traefik, nginx");
        }
        return withStatus(s -> switch (f) {
            case JSON -> json(StatusCodes.OK, BackendFormats.json(s));
            case YARP -> json(StatusCodes.OK, BackendFormats.yarp(s));
            case TRAEFIK -> json(StatusCodes.OK, BackendFormats.traefik(s));
            case NGINX -> complete(HttpResponse.create().withEntity(HttpEntities.create(NGINX, BackendFormats.nginx(s))));
        });
    }

    private Route metrics() {
        CompletableFuture<HttpResponse> scrape = CompletableFuture.supplyAsync(() -> {
            try {
                return HttpResponse.create().withEntity(HttpEntities.create(
                        ContentTypes.parse(PoolMetrics.contentType()), metrics.scrape()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, blocking);
        return completeWithFuture(scrape);
    }

    /**
     * Server-Sent Events for as long as the client listens: {@code transition} for every instance
     * transition, {@code scaling} for every autoscaling decision, {@code operation} for every
     * operation on a service that begins or ends.
     */
    private Route events() {
        Pair<ActorRef<Object>, Source<Object, NotUsed>> events = ActorSource.<Object>actorRef(
                        e -> e == END_OF_STREAM, e -> Optional.empty(), 256, OverflowStrategy.dropHead())
                .preMaterialize(Materializer.matFromSystem(system));
        ActorRef<Object> subscriber = events.first();
        eventStreams.add(subscriber);
        system.eventStream().tell(new EventStream.Subscribe<>(PoolEvent.class, subscriber.narrow()));
        system.eventStream().tell(new EventStream.Subscribe<>(ScalingEvent.class, subscriber.narrow()));
        system.eventStream().tell(new EventStream.Subscribe<>(io.procpool.api.OperationEvent.class, subscriber.narrow()));
        Source<ServerSentEvent, NotUsed> stream = events.second()
                .map(AdminRoutes::sse)
                .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat)
                .watchTermination((notUsed, done) -> {
                    done.whenComplete((d, t) -> {
                        eventStreams.remove(subscriber);
                        system.eventStream().tell(new EventStream.Unsubscribe<>(subscriber));
                    });
                    return NotUsed.notUsed();
                });
        return completeOK(stream, EventStreamMarshalling.toEventStream());
    }

    private static ServerSentEvent sse(Object e) {
        if (e instanceof ScalingEvent s) {
            return ServerSentEvent.create(StatusJson.scaling(s).toString(), "scaling");
        }
        if (e instanceof io.procpool.api.OperationEvent o) {
            return ServerSentEvent.create(StatusJson.operation(o).toString(), "operation");
        }
        return ServerSentEvent.create(StatusJson.event((PoolEvent) e).toString(), "transition");
    }

    private Route log(String service, int port, Optional<String> linesParam) {
        Optional<Integer> lines = linesParam.isEmpty() ? Optional.of(100) : parseInt(linesParam.get(), 1, MAX_LOG_LINES);
        if (lines.isEmpty()) {
            return error(StatusCodes.BAD_REQUEST, "lines must be a whole number from 1 to " + MAX_LOG_LINES,
                    "got '" + linesParam.get() + "'");
        }
        return withService(service, s -> {
            if (!s.settings().ports().contains(port)) {
                return error(StatusCodes.NOT_FOUND, "service '" + service + "' has no port " + port, "ports: " + s.settings().ports());
            }
            java.nio.file.Path file = s.instances().stream().filter(i -> i.port() == port).findFirst()
                    .map(io.procpool.api.InstanceStatus::logFile)
                    .orElse(s.instances().isEmpty() ? null : s.instances().get(0).logFile().resolveSibling(service + "-" + port + ".log"));
            CompletableFuture<List<String>> tail = CompletableFuture.supplyAsync(() -> {
                try {
                    return file == null ? List.<String>of() : LogFiles.tail(file, lines.get(), 4L << 20);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, blocking);
            return onSuccess(tail, t -> {
                var node = StatusJson.JSON.createObjectNode().put("service", service).put("port", port)
                        .put("file", file == null ? null : file.toString());
                var arr = node.putArray("lines");
                t.forEach(arr::add);
                return json(StatusCodes.OK, node);
            });
        });
    }

    private Route restart(String service, Optional<String> wait) {
        if (wait.isPresent() && !wait.get().equals("false") && !wait.get().equals("true")) {
            return error(StatusCodes.BAD_REQUEST, "wait must be true or false", "got '" + wait.get() + "'");
        }
        if (wait.isPresent() && wait.get().equals("false")) {
            CompletionStage<OpResult> begun = AskPattern.ask(pool, r -> new PoolSupervisor.ForService(service,
                    new PoolActor.Restart(r, false)), ASK, system.scheduler());
            return onSuccess(begun, r -> r.ok() ? json(StatusCodes.ACCEPTED, StatusJson.JSON.createObjectNode()
                    .put("result", "accepted").put("message", r.message() + "; GET /status/" + service + " follows it"))
                    : result(r));
        }
        return operate(service, "rolling restart", PoolActor.Restart::new);
    }

    private Route scale(String service, Optional<String> instances) {
        Optional<Integer> n = instances.flatMap(v -> parseInt(v, 0, 65535));
        if (n.isEmpty()) {
            return error(StatusCodes.BAD_REQUEST, "instances must be a whole number",
                    instances.map(v -> "got '" + v + "'").orElse("use POST /services/" + service + "/scale?instances=N"));
        }
        return operate(service, "scale", r -> new PoolActor.Scale(n.get(), r));
    }

    /**
     * Asks the pool for an operation and answers with its outcome. The request may stay open for
     * {@link #OPERATION} (the pool answers within its own deadlines first); past that the answer
     * is a JSON 503 that says the operation goes on, never a dropped connection.
     */
    private Route operate(String service, String what, Function<ActorRef<OpResult>, PoolActor.Operation> op) {
        CompletionStage<OpResult> result = AskPattern.<PoolSupervisor.Command, OpResult>ask(pool,
                r -> new PoolSupervisor.ForService(service, op.apply(r)), operation, system.scheduler());
        return withRequestTimeout(operation.plusSeconds(15), AdminRoutes::timedOut, () -> onComplete(result, r -> {
            if (r.isSuccess()) {
                return result(r.get());
            }
            if (r.failed().get() instanceof java.util.concurrent.TimeoutException) {
                return error(StatusCodes.SERVICE_UNAVAILABLE, what + " of " + service + " still under way after "
                        + io.procpool.config.Durations.format(operation), "it goes on; GET /status/" + service + " follows it");
            }
            throw new java.util.concurrent.CompletionException(r.failed().get());
        }));
    }

    private Route reload() {
        if (reloader == null) {
            return error(StatusCodes.CONFLICT, "nothing to reload", "this pool was not started from a configuration file");
        }
        return onSuccess(reloader.reload(), this::result);
    }

    private Route result(OpResult r) {
        return switch (r.outcome()) {
            case OK -> json(StatusCodes.OK, okJson(r));
            case INVALID -> r.details().isEmpty() ? error(StatusCodes.BAD_REQUEST, r.message(), null)
                    : json(StatusCodes.BAD_REQUEST, StatusJson.error(r.message(), r.details()));
            case NOT_FOUND -> error(StatusCodes.NOT_FOUND, r.message(), null);
            case CONFLICT -> error(StatusCodes.CONFLICT, r.message(), null);
            case FAILED -> error(StatusCodes.INTERNAL_SERVER_ERROR, "operation failed", r.message());
        };
    }

    private static JsonNode okJson(OpResult r) {
        var node = StatusJson.JSON.createObjectNode().put("result", "ok").put("message", r.message());
        if (!r.details().isEmpty()) {
            var warnings = node.putArray("warnings");
            r.details().forEach(warnings::add);
        }
        return node;
    }

    /** Mutating calls need {@code Authorization: Bearer TOKEN} when a token is configured. */
    private Route authorized(java.util.function.Supplier<Route> inner) {
        if (token.isEmpty()) {
            return inner.get();
        }
        return optionalHeaderValueByName("Authorization", header -> {
            byte[] expected = ("Bearer " + token.get()).getBytes(StandardCharsets.UTF_8);
            byte[] given = header.orElse("").getBytes(StandardCharsets.UTF_8);
            if (MessageDigest.isEqual(expected, given)) {
                return inner.get();
            }
            return complete(HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED)
                    .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "procpool")))
                    .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, StatusJson.error(
                            header.isEmpty() ? "authorization required" : "wrong token",
                            "send Authorization: Bearer TOKEN (pool.admin.token)").toString())));
        });
    }

    Route json(StatusCode code, JsonNode body) {
        try {
            byte[] bytes = StatusJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
            return complete(HttpResponse.create().withStatus(code).withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, bytes)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Route error(StatusCode code, String error, String detail) {
        return json(code, StatusJson.error(error, detail));
    }

    private static Optional<Integer> parseInt(String text, int min, int max) {
        try {
            int n = Integer.parseInt(text.trim());
            return n < min || n > max ? Optional.empty() : Optional.of(n);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Pekko's own rejection statuses, with the text wrapped as {@code {"error": "..."}}. */
    private static RejectionHandler jsonRejections() {
        return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
            if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return response;
            }
            String text = response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
                    ? strict.getData().utf8String() : "";
            String error = response.status().intValue() == 404 ? "no such endpoint" : response.status().reason();
            return response.withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON,
                    StatusJson.error(error, text.isEmpty() ? null : text).toString()));
        });
    }

    /** A failed ask (the tree is busy or gone) is a 503; anything else a 500 without a stack trace. */
    private ExceptionHandler jsonExceptions() {
        return ExceptionHandler.newBuilder()
                .match(org.apache.pekko.http.scaladsl.model.EntityStreamSizeException.class, e -> error(
                        StatusCodes.PAYLOAD_TOO_LARGE, "request body too large", "the admin API takes no request body"))
                .match(org.apache.pekko.http.scaladsl.model.IllegalRequestException.class, e ->
                        e.status().intValue() == 413 || e.info().summary().contains("too large")
                                ? error(StatusCodes.PAYLOAD_TOO_LARGE, "request body too large", "the admin API takes no request body")
                                : error(e.status(), "malformed request", e.info().summary()))
                .match(java.util.concurrent.TimeoutException.class, e -> error(StatusCodes.SERVICE_UNAVAILABLE,
                        "the pool did not answer in time", e.getMessage()))
                .matchAny(e -> {
                    system.log().error("admin API: unexpected error", e);
                    return error(StatusCodes.INTERNAL_SERVER_ERROR, "internal error", e.getClass().getSimpleName());
                })
                .build();
    }
}
