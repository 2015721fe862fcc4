import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The floor under procpool's own start and weight in make bench: the least a program on procpool's
 * stack does before an HTTP API answers. A typed actor system with no actors of its own, and a
 * Pekko HTTP server that answers every request with 200. No configuration file, no pools, no
 * children, no probes, no state file, no JSON, no logging backend, no native calls.
 *
 * <p>Measured as procpool is (bench.py, {@code stack_floor}): from the launch to {@code GET /healthz}
 * answering 200, with conf/jvm.options and a class-data archive of its own recorded the way
 * {@code bin/procpool cds} records procpool's; and its RSS once idle. What procpool takes beyond
 * these is procpool's; what these take is the JVM's, Pekko's and Pekko HTTP's, which the stack
 * fixes.
 *
 * <pre>java -cp target/procpool.jar:stack-floor.jar StackFloor PORT</pre>
 *
 * Runs until it is signalled.
 */
public final class StackFloor {

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        // The same dispatcher sizes as procpool's own system on this machine (one thread a core),
        // so that the floor does not pay for threads procpool does not start.
        var config = ConfigFactory.parseString("""
                pekko.loglevel = WARNING
                pekko.actor.default-dispatcher.fork-join-executor {
                  parallelism-min = 1
                  parallelism-factor = 1.0
                }
                pekko.http.server.server-header = ""
                """).withFallback(ConfigFactory.load());
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "floor", config);
        HttpResponse ok = HttpResponse.create().withEntity("ok\n");
        Http.get(system).newServerAt("127.0.0.1", port)
                .bindSync(request -> {
                    request.discardEntityBytes(system);
                    return ok;
                })
                .whenComplete((binding, error) -> {
                    if (error != null) {
                        System.err.println("StackFloor: cannot bind 127.0.0.1:" + port + ": " + error);
                        system.terminate();
                    }
                });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }));
    }
}
