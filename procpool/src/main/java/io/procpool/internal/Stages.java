package io.procpool.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Pekko's Java API answers Scala's {@code CompletableFuture} (asks, streams' materialized values,
 * Pekko HTTP), which makes every callback asynchronous on the common pool, even
 * {@code thenApply} and {@code whenComplete}; on a machine of 2 cores or fewer that pool has a
 * parallelism of 1, and {@code CompletableFuture} then runs each such task on a new thread. Seen
 * as {@code Thread-N} in traces of procpool's JVM: a thread per admin API request, and on the
 * gateway's first version one per proxied request (2.7k against 5.9k requests/s, docs/benchmarks.md).
 * These turn such a stage into a plain one before anything is chained on it.
 */
public final class Stages {

    private Stages() {
    }

    /** {@code stage} as a plain future completed on {@code executor}. */
    public static <T> CompletableFuture<T> on(CompletionStage<T> stage, Executor executor) {
        CompletableFuture<T> out = new CompletableFuture<>();
        stage.whenCompleteAsync((value, error) -> {
            if (error != null) {
                out.completeExceptionally(error);
            } else {
                out.complete(value);
            }
        }, executor);
        return out;
    }

    /** {@code stage} as a plain future completed where its answer arrives (a stream's or an actor's thread: keep what follows short). */
    public static <T> CompletableFuture<T> here(CompletionStage<T> stage) {
        return on(stage, Runnable::run);
    }
}
