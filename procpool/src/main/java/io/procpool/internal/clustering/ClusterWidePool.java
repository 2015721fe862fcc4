package io.procpool.internal.clustering;

import com.typesafe.config.Config;
import io.procpool.api.Event;
import io.procpool.api.InstanceStatus;
import io.procpool.api.LogTail;
import io.procpool.api.OpResult;
import io.procpool.api.Pool;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.Subscription;
import io.procpool.config.PoolSettings;
import io.procpool.config.Signal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A cluster node's pool as its admin API and proxy feeds see it: the status of the whole cluster
 * ({@link ClusterView#merge}), and everything else this node's own. The supervision tree, the
 * node's cluster agent and its gateway keep talking to the pool's front door itself: they act on
 * this node's instances.
 */
public final class ClusterWidePool implements Pool {

    private final Pool local;
    private final ClusterView view;

    public ClusterWidePool(Pool local, ClusterView view) {
        this.local = local;
        this.view = view;
    }

    @Override
    public PoolSettings settings() {
        return local.settings();
    }

    @Override
    public CompletionStage<PoolStatus> status() {
        return local.status().thenApply(view::merge);
    }

    @Override
    public CompletionStage<List<String>> backends(String service) {
        // This node's answer first: a name that is no service fails there, with the services listed.
        return local.backends(service).thenCompose(mine -> status()).thenApply(all -> all.services().stream()
                .filter(s -> s.name().equals(service)).flatMap(s -> s.ready().stream()).map(InstanceStatus::address).toList());
    }

    @Override
    public CompletionStage<LogTail> log(String service, int port, int lines) {
        return local.log(service, port, lines);
    }

    @Override
    public CompletionStage<LogTail> log(String service, int port, int lines, boolean stderr) {
        return local.log(service, port, lines, stderr);
    }

    @Override
    public CompletionStage<LogTail> logAfter(String service, int port, long offset) {
        return local.logAfter(service, port, offset);
    }

    @Override
    public CompletionStage<OpResult> signal(String service, Signal signal) {
        return local.signal(service, signal);
    }

    @Override
    public void probeNow(String service, int port) {
        local.probeNow(service, port);
    }

    @Override
    public CompletionStage<OpResult> scale(String service, int instances) {
        return local.scale(service, instances);
    }

    @Override
    public CompletionStage<OpResult> restart(String service) {
        return local.restart(service);
    }

    @Override
    public CompletionStage<OpResult> beginRestart(String service) {
        return local.beginRestart(service);
    }

    @Override
    public CompletionStage<OpResult> stopService(String service) {
        return local.stopService(service);
    }

    @Override
    public CompletionStage<OpResult> startService(String service) {
        return local.startService(service);
    }

    @Override
    public CompletionStage<OpResult> reload() {
        return local.reload();
    }

    @Override
    public CompletionStage<OpResult> reload(Config config) {
        return local.reload(config);
    }

    @Override
    public Subscription subscribe(Consumer<PoolEvent> listener) {
        return local.subscribe(listener);
    }

    @Override
    public Source<PoolEvent, NotUsed> events() {
        return local.events();
    }

    @Override
    public Source<Event, NotUsed> allEvents() {
        return local.allEvents();
    }

    @Override
    public Duration longestAnswer() {
        return local.longestAnswer();
    }
}
