package io.procpool.internal.health;

import io.procpool.spi.HealthProbe;
import io.procpool.spi.ProbeResult;

import io.procpool.config.HealthSettings;
import io.procpool.config.HttpProbe;
import io.procpool.internal.Stages;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * Probes over the network with Pekko HTTP's client (and Pekko's TCP for {@code type = tcp}).
 *
 * <p>Every probe opens its own connection to 127.0.0.1:PORT, sends one request with
 * {@code Connection: close} and tears the connection down when the deadline passes, so a frozen
 * process fails its probe after {@code timeout} and nothing waits on it afterwards; one slow
 * instance never delays another's probe. The latency is measured with the monotonic clock from
 * the start of the connect to the end of the response.
 */
public final class PekkoHealthProbe implements HealthProbe {

    private static final String HOST = "127.0.0.1";

    private final Http http;
    private final Materializer materializer;
    private final ClientConnectionSettings baseSettings;
    private final Map<Duration, ClientConnectionSettings> settingsByTimeout = new ConcurrentHashMap<>();
    private final ActorSystem<?> system;

    public PekkoHealthProbe(ActorSystem<?> system) {
        this.system = system;
        this.http = Http.get(system);
        this.materializer = Materializer.matFromSystem(system);
        this.baseSettings = ClientConnectionSettings.create(system.settings().config());
    }

    @Override
    public CompletionStage<ProbeResult> probe(int port, HealthSettings settings) {
        long start = System.nanoTime();
        CompletionStage<String> outcome = settings.probe() instanceof HttpProbe h ? http(port, h, settings.timeout())
                : settings.probes() ? tcp(port, settings) : CompletableFuture.completedFuture(null);
        return outcome.handle((error, failure) -> {
            Duration latency = Duration.ofNanos(System.nanoTime() - start);
            if (failure != null) {
                return ProbeResult.failed(latency, describe(failure, settings.timeout()));
            }
            return error == null ? ProbeResult.ok(latency) : ProbeResult.failed(latency, error);
        });
    }

    /** Completes with null when the status is expected, else with why not. */
    private CompletionStage<String> http(int port, HttpProbe probe, Duration timeout) {
        HttpRequest request = HttpRequest.GET(probe.path()).addHeader(Connection.create("close"));
        return Stages.here(Source.single(request)
                .via(http.connectionTo(HOST).toPort(port).withClientConnectionSettings(connectionSettings(timeout)).http())
                .mapAsync(1, response -> drain(response).thenApply(x -> response.status().intValue()))
                .completionTimeout(timeout)
                .runWith(Sink.head(), materializer))
                .thenApply(status -> probe.expectStatus().contains(status) ? null
                        : ProbeResult.unexpectedStatus(status, probe.expectStatus()));
    }

    private CompletionStage<Object> drain(HttpResponse response) {
        return Stages.here(response.discardEntityBytes(materializer).completionStage()).thenApply(done -> done);
    }

    /** Completes with null once a connection is accepted. */
    private CompletionStage<String> tcp(int port, HealthSettings settings) {
        return Stages.here(Source.<ByteString>empty()
                .viaMat(Tcp.get(system).outgoingConnection(new InetSocketAddress(HOST, port), Optional.empty(), List.of(),
                        true, Optional.of(settings.timeout()), Optional.empty()), (left, conn) -> conn)
                .to(Sink.ignore())
                .run(materializer))
                .thenApply(conn -> (String) null);
    }

    private ClientConnectionSettings connectionSettings(Duration timeout) {
        return settingsByTimeout.computeIfAbsent(timeout, t -> baseSettings
                .withConnectingTimeout(scala.concurrent.duration.FiniteDuration.fromNanos(t.toNanos()))
                .withIdleTimeout(scala.concurrent.duration.FiniteDuration.fromNanos(t.toNanos() * 2)));
    }

    /** A short reason for people; stream exceptions carry long messages. */
    static String describe(Throwable failure, Duration timeout) {
        StringBuilder chain = new StringBuilder();
        Throwable root = failure;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException) {
                return ProbeResult.timedOut(timeout);
            }
            chain.append(t.getMessage()).append(" | ");
            root = t;
        }
        String text = chain.toString();
        if (!text.contains("Connection refused") && !text.contains("reset") && (text.contains("timeout") || text.contains("Timeout"))) {
            return ProbeResult.timedOut(timeout);
        }
        return ProbeResult.connectionFailure(text, root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage());
    }
}
