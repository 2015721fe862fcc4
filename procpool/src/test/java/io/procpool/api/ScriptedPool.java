package io.procpool.api;

import io.procpool.config.PoolSettings;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A {@link Pool} for tests of its clients that need only its settings, its status and its
 * transitions (the gateway, the feeds): the status is read from a supplier, the latest subscriber
 * is kept for the test to call, {@code probeNow} does nothing, and anything else fails the test.
 */
public final class ScriptedPool {

    private final AtomicReference<Consumer<PoolEvent>> listener = new AtomicReference<>();
    private final Pool pool;

    public ScriptedPool(PoolSettings settings, Supplier<PoolStatus> status) {
        this(() -> CompletableFuture.completedFuture(status.get()), settings);
    }

    /** A pool whose status questions {@code status} answers, as it likes: late, never, or failed; it has no settings. */
    public static ScriptedPool answering(Supplier<java.util.concurrent.CompletionStage<PoolStatus>> status) {
        return new ScriptedPool(status, null);
    }

    private ScriptedPool(Supplier<java.util.concurrent.CompletionStage<PoolStatus>> status, PoolSettings settings) {
        pool = (Pool) Proxy.newProxyInstance(Pool.class.getClassLoader(), new Class<?>[] {Pool.class}, (proxy, method, args) ->
                switch (method.getName()) {
                    case "settings" -> settings;
                    case "status" -> status.get();
                    case "subscribe" -> {
                        @SuppressWarnings("unchecked")
                        Consumer<PoolEvent> l = (Consumer<PoolEvent>) args[0];
                        listener.set(l);
                        yield (Subscription) () -> listener.set(null);
                    }
                    case "probeNow" -> null;
                    case "toString" -> "ScriptedPool";
                    default -> throw new UnsupportedOperationException("ScriptedPool does not answer " + method.getName());
                });
    }

    public Pool pool() {
        return pool;
    }

    /** The current subscriber, or null when none is (or after it closed its subscription). */
    public Consumer<PoolEvent> listener() {
        return listener.get();
    }
}
