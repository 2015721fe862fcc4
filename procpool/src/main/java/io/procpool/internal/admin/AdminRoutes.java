package io.procpool.internal.admin;

import static org.apache.pekko.http.javadsl.server.PathMatchers.integerSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.procpool.api.Event;
import io.procpool.api.NotFoundException;
import io.procpool.api.OpResult;
import io.procpool.api.Pool;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.api.UnavailableException;
import io.procpool.internal.feeds.BackendFormats;
import io.procpool.internal.metrics.PoolMetrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
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
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The admin API's routes: JSON in and out; every error is {@code {"error": "...", "detail": ...}}
 * with a 4xx status for a client's mistake, never a stack trace. It is a client of the pool's one
 * front door ({@link Pool}): what an operation does, how long it may take and how its failures are
 * reported are decided there; this class only turns answers into HTTP. See {@code docs/api.md}.
 */
public final class AdminRoutes extends AllDirectives {

    /** Every other request is answered within this, or gets a JSON 503. */
    static final Duration REQUEST = Duration.ofSeconds(30);
    /**
     * {@code GET /healthz} fails when the pool's actors do not answer within this: shorter than
     * any liveness probe's period, longer than any pause a healthy JVM takes.
     */
    static final Duration LIVENESS = Duration.ofSeconds(2);
    private static final int MAX_LOG_LINES = 10_000;
    private static final long MAX_BODY = 64 * 1024;

    private final ActorSystem<?> system;
    private final Pool pool;
    /** The token mutating calls need now (empty: none); asked on each call, so a reload's new token applies at once. */
    private final Supplier<Optional<String>> token;
    private final PoolMetrics metrics;
    private final Executor blocking;
    /** Requests the gateway has in flight to an instance (service, port), when there is a gateway. */
    private final Optional<java.util.function.ToIntBiFunction<String, Integer>> inFlight;
    /** Ends every event stream cleanly at shutdown instead of cutting it. */
    private final SharedKillSwitch eventStreams = KillSwitches.shared("procpool-events");
    /** The recent past for the dashboard: its events follow the pool from before the bind, its samples are taken here ({@link #keepHistory}). */
    private final History history;
    private final Dashboard dashboard = new Dashboard();

    AdminRoutes(ActorSystem<?> system, Pool pool, Supplier<Optional<String>> token, PoolMetrics metrics, Executor blocking,
                Optional<java.util.function.ToIntBiFunction<String, Integer>> inFlight, History history) {
        this.system = system;
        this.history = history;
        this.inFlight = inFlight;
        this.pool = pool;
        this.token = token;
        this.metrics = metrics;
        this.blocking = blocking;
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "procpool-end-event-streams", () -> {
            eventStreams.shutdown();
            history.close();
            return CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
        });
        keepHistory();
    }

    /**
     * Samples the status into {@link #history} every {@link History#INTERVAL} (one that fails or
     * comes late is skipped, never queued), until shutdown ends the stream. Its events it hears
     * itself ({@link History#following}).
     */
    private void keepHistory() {
        Source.tick(Duration.ZERO, History.INTERVAL, NotUsed.notUsed())
                .via(eventStreams.flow())
                .mapAsync(1, tick -> pool.status().handle((s, failed) -> Optional.ofNullable(s)))
                .runForeach(s -> s.ifPresent(status -> history.record(System.currentTimeMillis(), status,
                        inFlight.map(gateway -> History.gatewayCounts(metrics.registry())))), system);
    }

    /** One endpoint: how the index shows it, and its route. */
    private record Endpoint(String shown, Route route) {
    }

    /** Every endpoint: the index lists exactly what the routes serve. */
    private List<Endpoint> endpoints() {
        return List.of(
                new Endpoint("GET /status", path("status", () -> get(() -> withStatus(this::pool)))),
                new Endpoint("GET /status/SERVICE", path(segment("status").slash(segment()), this::serviceStatus)),
                new Endpoint("GET /backends?format=json|yarp|traefik|nginx|haproxy|envoy", path("backends", this::backends)),
                new Endpoint("GET /healthz", path("healthz", () -> get(this::healthz))),
                new Endpoint("GET /readyz", path("readyz", () -> get(this::readyz))),
                new Endpoint("GET /metrics", path("metrics", () -> get(this::metrics))),
                new Endpoint("GET /events", path("events", () -> get(this::events))),
                new Endpoint("GET /history", path("history", () -> get(() -> json(StatusCodes.OK, history.json())))),
                new Endpoint("GET /services/SERVICE/instances/PORT/log?lines=N|after=OFFSET[&stream=stderr]", service(this::log)),
                new Endpoint("POST /services/SERVICE/restart[?wait=false]", service(this::restart)),
                new Endpoint("POST /services/SERVICE/stop", service(name -> operation("stop", () -> pool.stopService(name)))),
                new Endpoint("POST /services/SERVICE/start", service(name -> operation("start", () -> pool.startService(name)))),
                new Endpoint("POST /services/SERVICE/scale?instances=N", service(this::scale)),
                new Endpoint("POST /services/SERVICE/signal?sig=HUP|USR1|...|NUMBER", service(this::signal)),
                new Endpoint("POST /reload", operation("reload", pool::reload)),
                new Endpoint("GET /ui/", pathPrefix("ui", this::ui)));
    }

    /** A route under {@code /services/SERVICE/}, for the service named there. */
    private Route service(Function<String, Route> inner) {
        return pathPrefix(segment("services").slash(segment()), inner);
    }

    /** {@code POST /NAME} (the last segment), authorized, answered with the operation's outcome. */
    private Route operation(String name, Supplier<CompletionStage<OpResult>> op) {
        return path(name, () -> post(() -> authorized(() -> answer(op.get()))));
    }

    private Route pool(PoolStatus s) {
        var node = StatusJson.pool(s);
        node.path("services").fields().forEachRemaining(e -> withInFlight(e.getKey(), e.getValue()));
        return json(StatusCodes.OK, node);
    }

    /** With a gateway, each instance's {@code in_flight}: the requests it has through the gateway now. */
    private com.fasterxml.jackson.databind.JsonNode withInFlight(String service, com.fasterxml.jackson.databind.JsonNode node) {
        inFlight.ifPresent(f -> node.path("instances").forEach(i ->
                ((com.fasterxml.jackson.databind.node.ObjectNode) i).put("in_flight", f.applyAsInt(service, i.path("port").asInt()))));
        return node;
    }

    /** Every route, with JSON errors. */
    public Route routes() {
        List<Endpoint> endpoints = endpoints();
        Route index = pathEndOrSingleSlash(() -> get(() -> optionalHeaderValueByName("Accept",
                accept -> Dashboard.wantsPage(accept) ? page(Dashboard.PAGE) : index(endpoints))));
        Route[] all = endpoints.stream().map(Endpoint::route).toArray(Route[]::new);
        // The API takes no request bodies: read at most a small one, refuse anything larger (413).
        return withRequestTimeoutResponse(AdminRoutes::timedOut, () -> handleExceptions(jsonExceptions(),
                () -> extractRequest(request -> handleRejections(jsonRejections(request), () -> toStrictEntity(Duration.ofSeconds(5),
                        MAX_BODY, () -> concat(index, all))))));
    }

    /** {@code /ui} goes to {@code /ui/}, the page; {@code /ui/FILE} is one of its files. */
    private Route ui() {
        return concat(pathEnd(() -> redirect(org.apache.pekko.http.javadsl.model.Uri.create("/ui/"), StatusCodes.MOVED_PERMANENTLY)),
                pathSingleSlash(() -> get(() -> page(Dashboard.PAGE))),
                path(segment(), name -> get(() -> page(name))));
    }

    private Route page(String name) {
        return dashboard.file(name).map(this::complete)
                .orElseGet(() -> error(StatusCodes.NOT_FOUND, "no such file of the dashboard", "/ui/" + name));
    }

    /** What a request that ran out of time gets instead of Pekko HTTP's plain-text 503. */
    private static HttpResponse timedOut(HttpRequest request) {
        return HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE).withEntity(HttpEntities.create(
                ContentTypes.APPLICATION_JSON, StatusJson.error("no answer in time", request.method().value() + " "
                        + request.getUri().path() + " was not answered within its time; an operation goes on "
                        + "(GET /status follows it)").toString()));
    }

    private Route index(List<Endpoint> endpoints) {
        var node = StatusJson.JSON.createObjectNode().put("procpool", "admin API");
        var shown = node.putArray("endpoints");
        endpoints.forEach(e -> shown.add(e.shown()));
        return json(StatusCodes.OK, node);
    }

    private Route withStatus(Function<PoolStatus, Route> inner) {
        return onSuccess(pool.status(), inner::apply);
    }

    /** {@code inner} gets the service and the status it is part of; a name that is not a service is a 404. */
    private Route withService(String name, BiFunction<PoolStatus, ServiceStatus, Route> inner) {
        return withStatus(all -> all.services().stream().filter(x -> x.name().equals(name)).findFirst()
                .map(s -> inner.apply(all, s)).orElseGet(() -> error(StatusCodes.NOT_FOUND, "no service '" + name + "'",
                        "services: " + String.join(", ", all.services().stream().map(ServiceStatus::name).toList()))));
    }

    private Route serviceStatus(String name) {
        return get(() -> withService(name, (all, s) -> json(StatusCodes.OK, withRoute(s, withInFlight(name,
                StatusJson.service(s, true, all.atNanos()))))));
    }

    /** With a gateway, how it reaches the service: {@code "route": {"path_prefix", "host"}}. */
    private JsonNode withRoute(ServiceStatus s, JsonNode node) {
        if (inFlight.isPresent() && s.settings().enabled()) {
            var route = ((com.fasterxml.jackson.databind.node.ObjectNode) node).putObject("route")
                    .put("path_prefix", s.settings().route().pathPrefix());
            s.settings().route().host().ifPresentOrElse(h -> route.put("host", h), () -> route.putNull("host"));
        }
        return node;
    }

    private Route backends() {
        return get(() -> parameterOptional("format", this::backends));
    }

    private Route backends(Optional<String> format) {
        BackendFormats.Format f = BackendFormats.Format.named(format.orElse("json"));
        if (f == null) {
            return error(StatusCodes.BAD_REQUEST, "unknown format '" + format.get() + "'", "formats: " + BackendFormats.names());
        }
        return withStatus(s -> switch (f) {
            case JSON -> json(StatusCodes.OK, BackendFormats.json(s));
            case YARP -> json(StatusCodes.OK, BackendFormats.yarp(s));
            case TRAEFIK -> json(StatusCodes.OK, BackendFormats.traefik(s));
            case ENVOY -> json(StatusCodes.OK, BackendFormats.envoy(s, s.atNanos()));
            case NGINX -> complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8,
                    BackendFormats.nginx(s))));
            case HAPROXY -> complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8,
                    BackendFormats.haproxy(s))));
        });
    }

    /**
     * Liveness (a Kubernetes {@code livenessProbe}): 200 when the supervision tree answers a
     * status question within {@link #LIVENESS}, 503 when it does not. Says nothing of the
     * services: a crashing service is the pool's to restart, not a reason to restart procpool.
     */
    private Route healthz() {
        return withRequestTimeout(LIVENESS, AdminRoutes::notAlive, () -> withStatus(s -> json(StatusCodes.OK,
                StatusJson.JSON.createObjectNode().put("status", "ok").put("services", s.services().size()))));
    }

    private static HttpResponse notAlive(HttpRequest request) {
        return HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE).withEntity(HttpEntities.create(
                ContentTypes.APPLICATION_JSON, StatusJson.error("the pool did not answer within " + LIVENESS.toSeconds() + "s",
                        "its actors are stuck or starved; restarting procpool is the remedy").toString()));
    }

    /**
     * Readiness (a Kubernetes {@code readinessProbe}): 200 when every enabled service has at least
     * min-processes instances ready, else 503 naming those that have not, with their counts. A
     * service stopped by an operator wants no instance and does not count.
     */
    private Route readyz() {
        return withStatus(s -> {
            List<ServiceStatus> missing = s.notReady();
            var node = StatusJson.JSON.createObjectNode().put("ready", missing.isEmpty());
            if (!missing.isEmpty()) {
                node.put("error", "not ready: " + String.join(", ", missing.stream()
                        .map(x -> x.name() + " " + x.ready().size() + "/" + x.required()).toList()));
            }
            var list = node.putArray("not_ready");
            missing.forEach(x -> list.addObject().put("service", x.name()).put("state", x.state().name())
                    .put("ready", x.ready().size()).put("min", x.required()));
            return json(missing.isEmpty() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, node);
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
        Source<ServerSentEvent, NotUsed> stream = pool.allEvents()
                .via(eventStreams.flow())
                .map(AdminRoutes::sse)
                .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat);
        return completeOK(stream, EventStreamMarshalling.toEventStream());
    }

    private static ServerSentEvent sse(Event e) {
        return ServerSentEvent.create(StatusJson.anyEvent(e).toString(), StatusJson.eventType(e));
    }

    private Route log(String service) {
        return path(segment("instances").slash(integerSegment()).slash("log"),
                port -> get(() -> parameterOptional("lines", lines -> parameterOptional("after",
                        after -> parameterOptional("stream", stream -> log(service, port, lines, after, stream))))));
    }

    /**
     * The last lines ({@code lines}), or those written after an offset ({@code after}: following a
     * log); of the separate stderr log with {@code stream=stderr}.
     */
    private Route log(String service, int port, Optional<String> linesParam, Optional<String> afterParam,
                      Optional<String> stream) {
        if (stream.isPresent() && !stream.get().equals("stdout") && !stream.get().equals("stderr")) {
            return error(StatusCodes.BAD_REQUEST, "stream must be stdout or stderr", "got '" + stream.get() + "'");
        }
        boolean stderr = stream.filter("stderr"::equals).isPresent();
        if (linesParam.isPresent() && afterParam.isPresent()) {
            return error(StatusCodes.BAD_REQUEST, "give lines or after, not both",
                    "lines=N: the last N lines; after=OFFSET: the lines after the \"end\" of an earlier answer");
        }
        if (afterParam.isPresent()) {
            if (stderr) {
                return error(StatusCodes.BAD_REQUEST, "after follows the log, not stream=stderr",
                        "read the stderr log's last lines with lines=N&stream=stderr");
            }
            Optional<Long> after = parseLong(afterParam.get());
            if (after.isEmpty()) {
                return error(StatusCodes.BAD_REQUEST, "after must be a byte offset (a whole number from 0)",
                        "got '" + afterParam.get() + "'; use the \"end\" of an earlier answer");
            }
            return onSuccess(pool.logAfter(service, port, after.get()), this::logJson);
        }
        Optional<Integer> lines = linesParam.isEmpty() ? Optional.of(100) : parseInt(linesParam.get(), 1, MAX_LOG_LINES);
        if (lines.isEmpty()) {
            return error(StatusCodes.BAD_REQUEST, "lines must be a whole number from 1 to " + MAX_LOG_LINES,
                    "got '" + linesParam.get() + "'");
        }
        return onSuccess(pool.log(service, port, lines.get(), stderr), this::logJson);
    }

    private Route logJson(io.procpool.api.LogTail tail) {
        var node = StatusJson.JSON.createObjectNode().put("service", tail.service()).put("port", tail.port())
                .put("file", tail.file().toString());
        var arr = node.putArray("lines");
        tail.lines().forEach(arr::add);
        node.put("end", tail.end());
        return json(StatusCodes.OK, node);
    }

    private Route signal(String service) {
        return path("signal", () -> post(() -> authorized(() -> parameterOptional("sig", sig -> signal(service, sig)))));
    }

    private Route signal(String service, Optional<String> sig) {
        String accepted = "accepted: " + java.util.Arrays.stream(io.procpool.config.Signal.values())
                .map(s -> s.name() + " (" + s.number() + ")").collect(java.util.stream.Collectors.joining(", "));
        if (sig.isEmpty()) {
            return error(StatusCodes.BAD_REQUEST, "sig is required", "use POST /services/" + service + "/signal?sig=HUP; " + accepted);
        }
        Optional<io.procpool.config.Signal> signal = io.procpool.config.Signal.parseNameOrNumber(sig.get());
        if (signal.isEmpty()) {
            return error(StatusCodes.BAD_REQUEST, "unknown signal '" + sig.get() + "'", accepted);
        }
        return answer(pool.signal(service, signal.get()));
    }

    private Route restart(String service) {
        return path("restart", () -> post(() -> authorized(() -> parameterOptional("wait", w -> restart(service, w)))));
    }

    private Route restart(String service, Optional<String> wait) {
        if (wait.isPresent() && !wait.get().equals("false") && !wait.get().equals("true")) {
            return error(StatusCodes.BAD_REQUEST, "wait must be true or false", "got '" + wait.get() + "'");
        }
        if (wait.isPresent() && wait.get().equals("false")) {
            return onSuccess(pool.beginRestart(service), r -> r.ok() ? json(StatusCodes.ACCEPTED, StatusJson.JSON.createObjectNode()
                    .put("result", "accepted").put("message", r.message() + "; GET /status/" + service + " follows it"))
                    : result(r));
        }
        return answer(pool.restart(service));
    }

    private Route scale(String service) {
        return path("scale", () -> post(() -> authorized(() -> parameterOptional("instances", n -> scale(service, n)))));
    }

    private Route scale(String service, Optional<String> instances) {
        Optional<Integer> n = instances.flatMap(v -> parseInt(v, 0, 65535));
        if (n.isEmpty()) {
            return error(StatusCodes.BAD_REQUEST, "instances must be a whole number",
                    instances.map(v -> "got '" + v + "'").orElse("use POST /services/" + service + "/scale?instances=N"));
        }
        return answer(pool.scale(service, n.get()));
    }

    /** The outcome of an operation, with the request open as long as the pool may take to answer. */
    private Route answer(CompletionStage<OpResult> outcome) {
        return withRequestTimeout(pool.longestAnswer().plusSeconds(15), AdminRoutes::timedOut,
                () -> onSuccess(outcome, this::result));
    }

    private Route result(OpResult r) {
        return switch (r.outcome()) {
            case OK -> json(StatusCodes.OK, okJson(r));
            case INVALID -> r.details().isEmpty() ? error(StatusCodes.BAD_REQUEST, r.message(), null)
                    : json(StatusCodes.BAD_REQUEST, StatusJson.error(r.message(), r.details()));
            case NOT_FOUND -> error(StatusCodes.NOT_FOUND, r.message(), null);
            case CONFLICT -> error(StatusCodes.CONFLICT, r.message(), null);
            case FAILED -> error(StatusCodes.INTERNAL_SERVER_ERROR, "operation failed", r.message());
            case UNAVAILABLE -> error(StatusCodes.SERVICE_UNAVAILABLE, r.message(), null);
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

    /**
     * Mutating calls: refused (403) when a browser sent them from another site or without a
     * non-simple header ({@link CrossSiteGuard}), and need {@code Authorization: Bearer TOKEN}
     * when a token is configured.
     */
    private Route authorized(Supplier<Route> inner) {
        return optionalHeaderValueByName("Host", host -> optionalHeaderValueByName("Origin", origin ->
                optionalHeaderValueByName("Sec-Fetch-Site", site -> optionalHeaderValueByName("Authorization", auth ->
                        optionalHeaderValueByName(CrossSiteGuard.REQUEST_HEADER, marked ->
                                CrossSiteGuard.refusal(host, origin, site, auth.isPresent() || marked.isPresent())
                                        .map(why -> error(StatusCodes.FORBIDDEN, why, "the admin API changes nothing for "
                                                + "another site's page; see docs/api.md#security"))
                                        .orElseGet(() -> tokenChecked(inner)))))));
    }

    /** {@code inner} when no token is configured or the request carries it, else a 401. */
    private Route tokenChecked(Supplier<Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            Optional<String> now = token.get();
            if (now.isEmpty()) {
                return inner.get();
            }
            byte[] expected = ("Bearer " + now.get()).getBytes(StandardCharsets.UTF_8);
            byte[] given = header.orElse("").getBytes(StandardCharsets.UTF_8);
            if (MessageDigest.isEqual(expected, given)) {
                return inner.get();
            }
            return complete(HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED)
                    .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "procpool")))
                    .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, StatusJson.error(
                            header.isEmpty() ? "authorization required" : "wrong token",
                            "send Authorization: Bearer TOKEN (the manager's admin token: admin.token or admin.token-file in its pool file, or $PROCPOOL_ADMIN_TOKEN)").toString())));
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

    private static Optional<Long> parseLong(String text) {
        try {
            long n = Long.parseLong(text.trim());
            return n < 0 ? Optional.empty() : Optional.of(n);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Integer> parseInt(String text, int min, int max) {
        try {
            int n = Integer.parseInt(text.trim());
            return n < min || n > max ? Optional.empty() : Optional.of(n);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Pekko's own rejection statuses, with the text wrapped as {@code {"error": "..."}}; a path
     * or a method that no endpoint takes names the request, so that a wrong base address
     * ({@code poolctl --admin http://host:9900/extra}) shows where it went.
     */
    private static RejectionHandler jsonRejections(org.apache.pekko.http.javadsl.model.HttpRequest request) {
        String asked = request.method().value() + " " + request.getUri().path();
        return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
            if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return response;
            }
            String text = response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
                    ? strict.getData().utf8String() : "";
            String error = switch (response.status().intValue()) {
                case 404 -> "no such endpoint: " + asked + " (GET / lists the endpoints)";
                case 405 -> "method not allowed: " + asked;
                default -> response.status().reason();
            };
            return response.withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON,
                    StatusJson.error(error, text.isEmpty() ? null : text).toString()));
        });
    }

    /** The pool's own answers (not found, not in time) as 404 and 503; anything else a 500 without a stack trace. */
    private ExceptionHandler jsonExceptions() {
        return ExceptionHandler.newBuilder().matchAny(this::failure).build();
    }

    private Route failure(Throwable thrown) {
        Throwable e = thrown instanceof CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
        if (e instanceof NotFoundException) {
            return error(StatusCodes.NOT_FOUND, e.getMessage(), null);
        }
        if (e instanceof UnavailableException) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, e.getMessage(), null);
        }
        if (e instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException) {
            return error(StatusCodes.PAYLOAD_TOO_LARGE, "request body too large", "the admin API takes no request body");
        }
        if (e instanceof org.apache.pekko.http.scaladsl.model.IllegalRequestException bad) {
            return bad.status().intValue() == 413 || bad.info().summary().contains("too large")
                    ? error(StatusCodes.PAYLOAD_TOO_LARGE, "request body too large", "the admin API takes no request body")
                    : error(bad.status(), "malformed request", bad.info().summary());
        }
        return internal(e);
    }

    private Route internal(Throwable e) {
        system.log().error("admin API: unexpected error", e);
        return error(StatusCodes.INTERNAL_SERVER_ERROR, "internal error", e.getClass().getSimpleName());
    }
}
