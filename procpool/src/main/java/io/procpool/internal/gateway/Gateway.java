package io.procpool.internal.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.procpool.config.GatewaySettings;
import io.procpool.config.RouteSettings;
import io.procpool.internal.Stages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * The gateway's request handler: finds the route, chooses a ready instance, passes the request on
 * through Pekko HTTP's client connection pool to that instance (bodies streamed both ways, never
 * held whole), and tries another instance when the rules of {@link Retry} allow. A request that
 * finds no ready instance waits in its service's queue ({@link ServiceTraffic#acquire}). Every
 * answer the gateway makes itself is JSON: {@code {"error": ...}}.
 */
final class Gateway {

    /**
     * Hop-by-hop headers (RFC 9110, 7.6.1) and what Pekko adds to a request it received: never
     * passed on in either direction.
     */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "timeout-access", "remote-address",
            "raw-request-uri", "tls-session-info");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Answers up to this size with a Content-Length are read whole before they are passed on (a
     * web page or an API answer; bigger ones, and chunked ones, stream as they come).
     */
    static final long SMALL_BODY = 64 * 1024;

    private final ActorSystem<?> system;
    private final Http http;
    private final Traffic traffic;
    private final GatewaySettings settings;
    private final GatewayMetrics metrics;
    private final ServiceTraffic.Timers timers;
    private final HttpsConnectionContext tls;
    private final LoggingAdapter log;
    private final org.apache.pekko.stream.Materializer materializer;
    /** Client pool settings by request timeout: each route's timeout closes its own idle connections. */
    private final Map<Duration, ConnectionPoolSettings> pools = new ConcurrentHashMap<>();

    Gateway(ActorSystem<?> system, Traffic traffic, GatewaySettings settings, GatewayMetrics metrics, ServiceTraffic.Timers timers) {
        this.system = system;
        this.http = Http.get(system);
        this.traffic = traffic;
        this.settings = settings;
        this.metrics = metrics;
        this.timers = timers;
        this.tls = http.defaultClientHttpsContext();
        this.log = org.apache.pekko.event.Logging.getLogger(system.classicSystem(), Gateway.class);
        this.materializer = org.apache.pekko.stream.Materializer.matFromSystem(system);
    }

    /** Answers one request. Never fails: every failure is an answer. */
    CompletionStage<HttpResponse> handle(HttpRequest request) {
        long start = System.nanoTime();
        String host = request.getHeader("Host").map(HttpHeader::value).orElse(null);
        String path = request.getUri().asScala().path().toString();
        Optional<RouteTable.Match> match = traffic.routeTable().match(host, path.isEmpty() ? "/" : path);
        if (match.isEmpty()) {
            request.discardEntityBytes(system);
            return CompletableFuture.completedFuture(noRoute(host, path));
        }
        RouteTable.Match m = match.get();
        String service = m.route().service();
        ServiceTraffic t = traffic.of(service);
        if (t == null) {
            request.discardEntityBytes(system);
            return CompletableFuture.completedFuture(error(StatusCodes.SERVICE_UNAVAILABLE, notRunning(service)));
        }
        RouteSettings route = m.route().settings();
        if (route.maxBody().isPresent() && request.entity().getContentLengthOption().isPresent()
                && request.entity().getContentLengthOption().getAsLong() > route.maxBody().getAsLong()) {
            request.discardEntityBytes(system);
            return answered(service, start, CompletableFuture.completedFuture(error(StatusCodes.PAYLOAD_TOO_LARGE,
                    "the request body (" + request.entity().getContentLengthOption().getAsLong() + " bytes) is over route.max-body of "
                            + service + " (" + route.maxBody().getAsLong() + " bytes)")));
        }
        Optional<WebSocketUpgrade> upgrade = request.getAttribute(AttributeKeys.webSocketUpgrade);
        String target = m.path() + request.getUri().rawQueryString().map(q -> "?" + q).orElse("");
        if (upgrade.isPresent()) {
            return answered(service, start, webSocket(t, request, upgrade.get(), target));
        }
        Outbound out = outbound(request, route, host, target);
        return answered(service, start, attempt(t, route, out, new Tried(), 0, 0));
    }

    /** The request as an instance gets it, but for its address; its body tells whether it can be sent again. */
    private record Outbound(HttpRequest request, String target, AtomicBoolean bodyRead, boolean strictBody) {

        boolean replayable() {
            return strictBody || !bodyRead.get();
        }
    }

    private Outbound outbound(HttpRequest in, RouteSettings route, String host, String target) {
        List<HttpHeader> headers = new ArrayList<>();
        String forwardedFor = null;
        for (HttpHeader h : in.getHeaders()) {
            String name = h.lowercaseName();
            if (HOP_BY_HOP.contains(name)) {
                continue;
            }
            if (name.equals("x-forwarded-for")) {
                forwardedFor = h.value();
                continue;
            }
            // Expect: 100-continue is answered by the gateway's own server as the body is read.
            if (name.equals("x-forwarded-proto") || name.equals("x-forwarded-host") || name.equals("expect")) {
                continue;
            }
            headers.add(h);
        }
        String client = in.getAttribute(AttributeKeys.remoteAddress).flatMap(a -> a.getAddress()).map(a -> a.getHostAddress())
                .orElse("unknown");
        headers.add(RawHeader.create("X-Forwarded-For", forwardedFor == null ? client : forwardedFor + ", " + client));
        headers.add(RawHeader.create("X-Forwarded-Proto", "http"));
        if (host != null) {
            headers.add(RawHeader.create("X-Forwarded-Host", host));
        }
        RequestEntity entity = in.entity();
        if (route.maxBody().isPresent()) {
            entity = (RequestEntity) entity.withSizeLimit(route.maxBody().getAsLong());
        }
        AtomicBoolean read = new AtomicBoolean();
        boolean strict = entity.isStrict();
        if (!strict) {
            // Marks the body as read the moment the client connection pool starts to send it: until
            // then the request has not reached any instance and may be sent elsewhere.
            Flow<ByteString, ByteString, Object> mark = Flow.<ByteString>create().mapMaterializedValue(x -> {
                read.set(true);
                return x;
            });
            entity = (RequestEntity) sameFraming(entity, mark);
        }
        // HTTP/1.1 to the instances whatever the client spoke: their connections stay open in the pool.
        HttpRequest out = HttpRequest.create().withMethod(in.method()).withHeaders(headers).withEntity(entity);
        return new Outbound(out, target, read, strict);
    }

    private CompletionStage<HttpResponse> attempt(ServiceTraffic t, RouteSettings route, Outbound out, Tried tried, int attempts,
                                                  int writtenRetries) {
        return t.acquire(tried, settings.queueTimeout()).thenCompose(acquired -> {
            if (acquired.backend() == null) {
                return CompletableFuture.completedFuture(noBackend(t.service(), acquired.none()));
            }
            Backend b = acquired.backend();
            return send(b, route, out).handle((response, error) -> {
                if (error == null) {
                    return CompletableFuture.completedFuture(releasedWhenDone(t, b, response));
                }
                t.release(b);
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                if (tooLarge(cause)) {
                    return CompletableFuture.completedFuture(error(StatusCodes.PAYLOAD_TOO_LARGE, "the request body is over route.max-body of "
                            + t.service() + " (" + route.maxBody().orElse(0) + " bytes)"));
                }
                Retry.Failure failure = Retry.classify(cause);
                if (failure == Retry.Failure.CONNECT) {
                    traffic.refused(t, b);
                }
                String method = out.request().method().value();
                if (Retry.again(failure, method, out.replayable(), attempts + 1, writtenRetries)) {
                    metrics.retried(t.service(), failure);
                    tried.add(b);
                    return attempt(t, route, out, tried, attempts + 1,
                            writtenRetries + (failure == Retry.Failure.AFTER_WRITE ? 1 : 0));
                }
                return CompletableFuture.completedFuture(failed(t.service(), b, failure, cause, route));
            }).thenCompose(x -> x);
        });
    }

    /** Sends {@code out} to {@code b}; fails with a {@link TimeoutException} when no answer begins in the route's time. */
    private CompletionStage<HttpResponse> send(Backend b, RouteSettings route, Outbound out) {
        HttpRequest request = out.request().withUri(Uri.create("http://" + b.authority() + out.target()));
        // Completed where the answer arrives, not on a thread per callback (Stages says why): 2.7k
        // requests/s through the gateway instead of 5.9k (bench/gateway-analysis.md).
        CompletableFuture<HttpResponse> sent = Stages.here(http.singleRequest(request, tls, pool(route.requestTimeout()), log));
        CompletableFuture<HttpResponse> timed = new CompletableFuture<>();
        Runnable cancel = timers.schedule(route.requestTimeout(), () -> timed.completeExceptionally(
                new TimeoutException("no answer from " + b + " within route.request-timeout")));
        sent.whenComplete((response, error) -> {
            if (error != null) {
                cancel.run();
                timed.completeExceptionally(error);
                return;
            }
            var length = response.entity().getContentLengthOption();
            if (response.entity().isStrict() || length.isEmpty() || length.getAsLong() > SMALL_BODY) {
                cancel.run();
                if (!timed.complete(response)) {
                    response.discardEntityBytes(system);
                }
                return;
            }
            // A small body is read whole before the answer is passed on: an instance that dies
            // between its head and its body is then a failed attempt, tried again by the rules of
            // Retry, not a truncated answer the client already has the head of.
            Stages.here(response.entity().toStrict(route.requestTimeout().toMillis(), materializer)).whenComplete((strict, failed) -> {
                cancel.run();
                if (failed != null) {
                    timed.completeExceptionally(failed);
                } else {
                    timed.complete(response.withEntity(strict));
                }
            });
        });
        return timed;
    }

    /**
     * {@code entity} with {@code flow} on its bytes, framed as it came: a body with a
     * Content-Length keeps it (Pekko's plain transform would turn it into a chunked one, which
     * changes what the instance, or the client, is sent).
     */
    private static Object sameFraming(Object entity, Flow<ByteString, ByteString, Object> flow) {
        if (entity instanceof org.apache.pekko.http.scaladsl.model.HttpEntity.Default d) {
            return d.transformDataBytes(d.contentLength(), flow.asScala());
        }
        if (entity instanceof org.apache.pekko.http.scaladsl.model.RequestEntity r) {
            return r.transformDataBytes(flow.asScala());
        }
        return ((org.apache.pekko.http.scaladsl.model.ResponseEntity) entity).transformDataBytes(flow.asScala());
    }

    private ConnectionPoolSettings pool(Duration requestTimeout) {
        return pools.computeIfAbsent(requestTimeout, timeout -> GatewayServer.clientPool(system, timeout));
    }

    /** The instance's answer as it came, but for hop-by-hop headers; its request counts as in flight until its body has gone. */
    private HttpResponse releasedWhenDone(ServiceTraffic t, Backend b, HttpResponse response) {
        HttpResponse out = response;
        boolean hop = false;
        for (HttpHeader h : response.getHeaders()) {
            if (HOP_BY_HOP.contains(h.lowercaseName())) {
                hop = true;
                break;
            }
        }
        if (hop) {
            List<HttpHeader> kept = new ArrayList<>();
            for (HttpHeader h : response.getHeaders()) {
                if (!HOP_BY_HOP.contains(h.lowercaseName())) {
                    kept.add(h);
                }
            }
            out = out.withHeaders(kept);
        }
        ResponseEntity entity = response.entity();
        if (entity.isStrict()) {
            t.release(b);
            return out;
        }
        Flow<ByteString, ByteString, Object> release = Flow.<ByteString>create().watchTermination((mat, done) -> {
            Stages.here(done).whenComplete((d, e) -> t.release(b));
            return (Object) mat;
        });
        return out.withEntity((ResponseEntity) sameFraming(entity, release));
    }

    private CompletionStage<HttpResponse> webSocket(ServiceTraffic t, HttpRequest request, WebSocketUpgrade upgrade, String target) {
        return t.acquire(new Tried(), settings.queueTimeout()).thenApply(acquired -> {
            if (acquired.backend() == null) {
                return noBackend(t.service(), acquired.none());
            }
            Backend b = acquired.backend();
            List<HttpHeader> extra = new ArrayList<>();
            for (HttpHeader h : request.getHeaders()) {
                String name = h.lowercaseName();
                if (!HOP_BY_HOP.contains(name) && !name.startsWith("sec-websocket-") && !name.equals("host")) {
                    extra.add(h);
                }
            }
            WebSocketRequest ws = WebSocketRequest.create("ws://" + b.authority() + target);
            for (HttpHeader h : extra) {
                ws = ws.addHeader(h);
            }
            // The first subprotocol the client offers is asked of the instance and answered to the client.
            Iterable<String> protocols = upgrade.getRequestedProtocols();
            String first = protocols.iterator().hasNext() ? protocols.iterator().next() : null;
            if (first != null) {
                ws = ws.requestSubprotocol(first);
            }
            var flow = http.webSocketClientFlow(ws).watchTermination((mat, done) -> {
                Stages.here(done).whenComplete((d, e) -> t.release(b));
                return mat;
            });
            return first == null ? upgrade.handleMessagesWith(flow) : upgrade.handleMessagesWith(flow, first);
        });
    }

    private static boolean tooLarge(Throwable cause) {
        for (Throwable c = cause; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getClass().getSimpleName().equals("EntityStreamSizeException")) {
                return true;
            }
        }
        return false;
    }

    private CompletionStage<HttpResponse> answered(String service, long start, CompletionStage<HttpResponse> answer) {
        return answer.handle((response, error) -> {
            HttpResponse r = response;
            if (error != null) {
                // A bug of the gateway's: say so in the log, and answer 502 rather than drop the connection.
                log.error(error, "gateway: unexpected failure answering a request for {}", service);
                r = error(StatusCodes.BAD_GATEWAY, "the gateway failed: " + error);
            }
            metrics.answered(service, r.status().intValue(), System.nanoTime() - start);
            return r;
        });
    }

    private HttpResponse failed(String service, Backend b, Retry.Failure failure, Throwable cause, RouteSettings route) {
        return switch (failure) {
            case TIMEOUT -> error(StatusCodes.GATEWAY_TIMEOUT, "no answer from " + b + " within route.request-timeout of "
                    + service + " (" + route.requestTimeout().toMillis() + " ms)");
            case OVERLOAD -> withRetryAfter(error(StatusCodes.SERVICE_UNAVAILABLE, "the gateway has too many requests open to "
                    + b + "; try again"));
            case CONNECT -> error(StatusCodes.BAD_GATEWAY, "no instance of " + service + " accepted the connection (last: " + b + ")");
            case AFTER_WRITE -> error(StatusCodes.BAD_GATEWAY, "the connection to " + b + " failed during the request ("
                    + cause.getClass().getSimpleName() + "); not sent again: " + retryNote());
        };
    }

    private static String retryNote() {
        return "only GET, HEAD, OPTIONS, PUT and DELETE are retried once the request may have reached an instance";
    }

    private HttpResponse noBackend(String service, ServiceTraffic.NoBackend why) {
        HttpResponse r = switch (why) {
            case QUEUE_FULL -> error(StatusCodes.SERVICE_UNAVAILABLE, "no instance of " + service + " is ready, and "
                    + settings.maxQueued() + " requests already wait (gateway.max-queued)");
            case TIMED_OUT -> error(StatusCodes.SERVICE_UNAVAILABLE, "no instance of " + service + " became ready within "
                    + settings.queueTimeout().toMillis() + " ms (gateway.queue-timeout)");
            case GONE -> error(StatusCodes.SERVICE_UNAVAILABLE, notRunning(service));
            case STOPPED -> error(StatusCodes.SERVICE_UNAVAILABLE, "service '" + service + "' is stopped; start it with `poolctl start "
                    + service + "` (POST /services/" + service + "/start)");
        };
        // A stopped service gets no Retry-After: nothing but an operator starts it again.
        return why == ServiceTraffic.NoBackend.STOPPED ? r : withRetryAfter(r);
    }

    private static String notRunning(String service) {
        return "service '" + service + "' is not running: a reload removed or disabled it, or procpool is stopping";
    }

    private static HttpResponse withRetryAfter(HttpResponse r) {
        return r.addHeader(RawHeader.create("Retry-After", "1"));
    }

    private HttpResponse noRoute(String host, String path) {
        ObjectNode body = JSON.createObjectNode();
        body.put("error", "no route for " + path + (host == null ? "" : " on host " + host));
        ArrayNode routes = body.putArray("routes");
        for (RouteTable.Route r : traffic.routeTable().routes()) {
            ObjectNode o = routes.addObject();
            o.put("service", r.service());
            o.put("path-prefix", r.prefix());
            o.put("strip-prefix", r.settings().stripPrefix());
            r.settings().host().ifPresent(h -> o.put("host", h));
        }
        return HttpResponse.create().withStatus(StatusCodes.NOT_FOUND)
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body.toString()));
    }

    static HttpResponse error(org.apache.pekko.http.javadsl.model.StatusCode status, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.put("error", message);
        return HttpResponse.create().withStatus(status).withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body.toString()));
    }
}
