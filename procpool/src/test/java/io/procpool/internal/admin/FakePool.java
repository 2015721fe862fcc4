package io.procpool.internal.admin;

import io.procpool.api.Event;
import io.procpool.api.LogTail;
import io.procpool.api.NotFoundException;
import io.procpool.api.OpResult;
import io.procpool.api.Pool;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.Subscription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * A pool that answers status with {@link Statuses#pool()} and its events from the actor
 * system's event stream; scale answers INVALID above 3, service "hung" answers that its
 * operation goes on (as the real front door does when its wait runs out), everything else OK.
 */
public final class FakePool implements Pool {
    private final ActorSystem<?> system;
    private final List<String> operations;
    private final java.util.function.Supplier<CompletionStage<PoolStatus>> status;

    /** @param operations where each operation asked for is recorded: "restart search", "scale search", ... */
    public FakePool(ActorSystem<?> system, List<String> operations) {
        this(system, operations, () -> CompletableFuture.completedFuture(Statuses.pool()));
    }

    /** @param status what each status question is answered with */
    public FakePool(ActorSystem<?> system, List<String> operations, java.util.function.Supplier<CompletionStage<PoolStatus>> status) {
        this.system = system;
        this.operations = operations;
        this.status = status;
    }

    @Override
    public io.procpool.config.PoolSettings settings() {
        return Statuses.SETTINGS;
    }

    @Override
    public void probeNow(String service, int port) {
        operations.add("probe " + service + ":" + port);
    }

    @Override
    public CompletionStage<PoolStatus> status() {
        return status.get();
    }

    @Override
    public CompletionStage<List<String>> backends(String service) {
        return CompletableFuture.completedFuture(List.of());
    }

    @Override
    public CompletionStage<LogTail> log(String service, int port, int lines) {
        if (!service.equals("search") || port != 8000) {
            return CompletableFuture.failedFuture(new NotFoundException("service '" + service + "' has no port " + port));
        }
        return CompletableFuture.completedFuture(new LogTail(service, port, Path.of("logs/search-8000.log"),
                List.of("line 1", "line 2").subList(0, Math.min(lines, 2)), 14));
    }

    /** The log of search:8000 grows by "line N" (7 bytes each) with every read after its end. */
    @Override
    public CompletionStage<LogTail> logAfter(String service, int port, long offset) {
        if (!service.equals("search") || port != 8000) {
            return CompletableFuture.failedFuture(new NotFoundException("service '" + service + "' has no port " + port));
        }
        long n = offset / 7 + 1;
        return CompletableFuture.completedFuture(new LogTail(service, port, Path.of("logs/search-8000.log"),
                List.of("line " + n), n * 7));
    }

    @Override
    public CompletionStage<OpResult> signal(String service, io.procpool.config.Signal signal) {
        return asked("signal " + signal, service, OpResult.ok(service + ": SIG" + signal + " sent to :8000 pid 9000"));
    }

    private CompletionStage<OpResult> asked(String what, String service, OpResult answer) {
        operations.add(what + " " + service);
        return CompletableFuture.completedFuture(service.equals("hung")
                ? OpResult.unavailable(what + " of hung still under way after 10m; it goes on (GET /status/hung follows it)")
                : service.equals("nope") ? OpResult.notFound("no service 'nope'") : answer);
    }

    @Override
    public CompletionStage<OpResult> scale(String service, int instances) {
        return asked("scale", service, instances > 3 ? OpResult.invalid("instances must be between 1 and 3") : OpResult.ok("done"));
    }

    @Override
    public CompletionStage<OpResult> restart(String service) {
        return asked("restart", service, OpResult.ok("done"));
    }

    @Override
    public CompletionStage<OpResult> beginRestart(String service) {
        return asked("beginRestart", service, OpResult.ok("done"));
    }

    @Override
    public CompletionStage<OpResult> stopService(String service) {
        return asked("stop", service, OpResult.ok("done"));
    }

    @Override
    public CompletionStage<OpResult> startService(String service) {
        return asked("start", service, OpResult.ok("done"));
    }

    @Override
    public CompletionStage<OpResult> reload() {
        return CompletableFuture.completedFuture(OpResult.conflict("this pool was not started from a configuration file"));
    }

    @Override
    public CompletionStage<OpResult> reload(com.typesafe.config.Config config) {
        return reload();
    }

    @Override
    public Subscription subscribe(java.util.function.Consumer<PoolEvent> listener) {
        throw new UnsupportedOperationException("not used by the admin API");
    }

    @Override
    public Source<PoolEvent, NotUsed> events() {
        throw new UnsupportedOperationException("not used by the admin API");
    }

    /** Every event published to the system's event stream, as {@link #allEvents}. */
    @Override
    public Subscription subscribeAll(java.util.function.Consumer<Event> listener) {
        org.apache.pekko.actor.typed.ActorRef<Object> ref = system.systemActorOf(org.apache.pekko.actor.typed.javadsl.Behaviors.receive(Object.class)
                .onMessage(Event.class, e -> {
                    listener.accept(e);
                    return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
                })
                .onMessageEquals("stop", org.apache.pekko.actor.typed.javadsl.Behaviors::stopped)
                .build(), "fake-pool-listener-" + java.util.UUID.randomUUID(), org.apache.pekko.actor.typed.Props.empty());
        system.eventStream().tell(new EventStream.Subscribe<>(Event.class, ref.narrow()));
        return () -> ref.tell("stop");
    }

    @Override
    public Source<Event, NotUsed> allEvents() {
        return ActorSource.<Event>actorRef(e -> false, e -> Optional.empty(), 64, OverflowStrategy.dropHead())
                .mapMaterializedValue(ref -> {
                    system.eventStream().tell(new EventStream.Subscribe<>(Event.class, ref));
                    return NotUsed.notUsed();
                });
    }

    @Override
    public Duration longestAnswer() {
        return Duration.ofSeconds(5);
    }
}
