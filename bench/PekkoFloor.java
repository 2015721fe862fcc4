import com.typesafe.config.ConfigFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The floor under procpool's gateway in make bench-gateway: the least a reverse proxy on Pekko HTTP
 * does (a server whose handler passes each request with {@code singleRequest} to the next of the
 * instances in turn), with none of the gateway's work (routes, the choice on in-flight requests,
 * retries, the queue, timeouts, headers, metrics). The gap between the two is what the gateway's
 * own code costs; the gap between this and nginx is what Pekko HTTP's model costs on the machine.
 *
 * <pre>java -cp target/procpool.jar bench/PekkoFloor.java LISTEN_PORT INSTANCE_PORT...</pre>
 *
 * Runs until it is signalled; prints "listening" once bound.
 */
public final class PekkoFloor {

    public static void main(String[] args) throws Exception {
        // The client pool as large as the gateway's (GatewayServer): Pekko's default of 4 connections
        // per instance would queue 32 clients behind 16 connections. As many threads as cores, the
        // TCP connections' actors among them, as the gateway has (procpool.dispatchers.stream):
        // Pekko's defaults (8 workers and 4 more for the TCP actors) cost a fifth of the throughput
        // on 2 cores in wake-ups.
        var config = ConfigFactory.parseString("""
                pekko.loglevel = WARNING
                pekko.actor.default-dispatcher.fork-join-executor {
                  parallelism-min = 1
                  parallelism-factor = 1.0
                  parallelism-max = 64
                }
                pekko.io.tcp.worker-dispatcher = "pekko.actor.default-dispatcher"
                pekko.http.server.server-header = ""
                pekko.http.server.request-timeout = infinite
                pekko.http.host-connection-pool.max-connections = 64
                pekko.http.host-connection-pool.max-open-requests = 1024
                """).withFallback(ConfigFactory.load());
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "floor", config);
        Http http = Http.get(system);
        int listen = Integer.parseInt(args[0]);
        String[] targets = new String[args.length - 1];
        for (int i = 1; i < args.length; i++) {
            targets[i - 1] = "http://127.0.0.1:" + args[i];
        }
        AtomicInteger next = new AtomicInteger();
        org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> handler = request -> {
            String target = targets[Math.floorMod(next.getAndIncrement(), targets.length)];
            // Completed where the answer arrives, as the gateway does (Gateway.send says why).
            CompletableFuture<HttpResponse> answer = new CompletableFuture<>();
            // The server's Timeout-Access header is its own; the client would refuse to send it, with a warning.
            http.singleRequest(request.removeHeader("Timeout-Access").withUri(target + request.getUri().asScala().toRelative()))
                    .whenCompleteAsync((response, error) -> {
                        if (error != null) {
                            answer.completeExceptionally(error);
                        } else {
                            answer.complete(response);
                        }
                    }, Runnable::run);
            return answer;
        };
        http.newServerAt("127.0.0.1", listen).bind(handler).toCompletableFuture().get();
        System.out.println("listening");
        Runtime.getRuntime().addShutdownHook(new Thread(system::terminate));
        system.getWhenTerminated().toCompletableFuture().get();
    }
}
