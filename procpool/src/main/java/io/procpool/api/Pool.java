package io.procpool.api;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A running pool, as every door into it sees it: the embedding API ({@code ProcessPool}
 * implements it), the admin HTTP API and poolctl behind it, the gateway, the dashboard. Each
 * operation, the time it may take and how its failures are reported exist once, behind this
 * interface.
 *
 * <p>Nothing here blocks. Operations answer an {@link OpResult} and never fail: an operation that
 * was refused, did not work, or did not answer in time says so in its outcome. Queries complete
 * exceptionally with {@link NotFoundException} for a service or port the pool does not have, and
 * with {@link UnavailableException} when the pool does not answer in time.
 */
public interface Pool {

    /** The configuration in force: the one the pool was started with, or that of its latest successful reload. */
    io.procpool.config.PoolSettings settings();

    /** Every service and its instances, now. */
    CompletionStage<PoolStatus> status();

    /** The instances of {@code service} ready for traffic, as {@code "HOST:PORT"} ({@code 127.0.0.1} on a pool alone). */
    CompletionStage<List<String>> backends(String service);

    /** The last {@code lines} lines of the output of the instance of {@code service} on {@code port}. */
    CompletionStage<LogTail> log(String service, int port, int lines);

    /**
     * The complete lines written to the output of the instance of {@code service} on {@code port}
     * after byte {@code offset} (the {@link LogTail#end} of an earlier answer), at most a few MiB
     * at a time. A file shorter than {@code offset} was rotated (cut to zero): it is read from its
     * start. What was written between the earlier answer and a rotation is in the rotated file, not
     * in this answer.
     */
    CompletionStage<LogTail> logAfter(String service, int port, long offset);

    /**
     * Sends {@code signal} to the process group of every running instance of {@code service}
     * (supervisorctl's {@code signal}); answers at once with the instances it was sent to.
     * {@link OpResult.Outcome#CONFLICT} when none runs, NOT_FOUND for a service the pool does not have.
     */
    CompletionStage<OpResult> signal(String service, io.procpool.config.Signal signal);

    /**
     * The last {@code lines} lines of the instance's stderr when {@code stderr} is set: its file of
     * its own ({@code log.stderr = separate}); fails with {@link NotFoundException} for a service
     * whose stderr is merged into its log. Otherwise as {@link #log(String, int, int)}.
     */
    default CompletionStage<LogTail> log(String service, int port, int lines, boolean stderr) {
        return stderr ? java.util.concurrent.CompletableFuture.failedFuture(new NotFoundException(
                "no separate stderr log for " + service + ":" + port)) : log(service, port, lines);
    }

    /**
     * A door saw the instance of {@code service} on {@code port} fail (a refused connection): probe
     * it now rather than at its next interval. The probe decides its state, as always; nothing
     * happens for an instance that is not being probed, or a service or port the pool does not have.
     */
    void probeNow(String service, int port);

    /** Runs {@code instances} instances of {@code service} (within its min and max). */
    CompletionStage<OpResult> scale(String service, int instances);

    /**
     * Rolling restart of {@code service}: instances that are not ready at once, the ready ones one
     * at a time; completes when the roll is over (or has failed).
     */
    CompletionStage<OpResult> restart(String service);

    /** A rolling restart that answers as soon as it has begun (or was refused); follow it in the status. */
    CompletionStage<OpResult> beginRestart(String service);

    /** Stops every instance of {@code service} (it stays stopped); completes when they are gone. */
    CompletionStage<OpResult> stopService(String service);

    /** Starts a stopped {@code service} again, or a running one's FAILED instances. */
    CompletionStage<OpResult> startService(String service);

    /**
     * Re-reads the configuration the pool was started from and applies what changed; a pool not
     * started from a file answers {@link OpResult.Outcome#CONFLICT}.
     */
    CompletionStage<OpResult> reload();

    /**
     * Applies a new configuration, touching only what changed. An invalid one changes nothing: the
     * answer is {@link OpResult.Outcome#INVALID} with every error in {@link OpResult#details()}.
     */
    CompletionStage<OpResult> reload(Config config);

    /**
     * Calls {@code listener} with every instance transition of this pool, in order, until the
     * subscription is closed. The listener runs on an actor's thread: it must not block.
     */
    Subscription subscribe(Consumer<PoolEvent> listener);

    /** Every instance transition of this pool from now on, as a Pekko Streams source. */
    Source<PoolEvent, NotUsed> events();

    /**
     * Everything that happens in this pool from now on (transitions, scaling decisions,
     * operations), as a Pekko Streams source. A slow consumer loses the oldest first.
     */
    Source<Event, NotUsed> allEvents();

    /**
     * Calls {@code listener} with everything {@link #allEvents} streams, in order, until the
     * subscription is closed: its listener form, with no stream to run. The listener runs on an
     * actor's thread: it must not block.
     */
    Subscription subscribeAll(Consumer<Event> listener);

    /**
     * The longest any answer of this pool may take (an operation's wait): a door that keeps a
     * request open for an answer keeps it open at least this long.
     */
    Duration longestAnswer();
}
