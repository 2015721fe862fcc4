package io.procpool.internal.process;

import io.procpool.api.ExitStatus;
import io.procpool.config.Signal;
import io.procpool.spi.Platform;
import io.procpool.spi.ProcessUsage;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A platform in memory, for the generic launcher's tests: starts "processes" that are a pid and an
 * exit future and go on any signal, keeps which groups are alive, records the signals sent and
 * counts its closes.
 */
public final class FakePlatform implements Platform {

    public final Map<Long, CompletableFuture<ExitStatus>> exits = new ConcurrentHashMap<>();
    public final Set<Long> aliveGroups = ConcurrentHashMap.newKeySet();
    public final List<String> signals = new CopyOnWriteArrayList<>();
    public final AtomicInteger closes = new AtomicInteger();
    private final AtomicLong pids = new AtomicLong(50_000);

    @Override
    public String mechanism() {
        return "in memory";
    }

    private record Command(List<String> argv) implements Prepared {
    }

    @Override
    public Prepared prepare(Path program, List<String> argv, Map<String, String> env, Path workingDir, Path logFile) {
        return new Command(argv);
    }

    @Override
    public CompletionStage<Started> start(Prepared command) {
        long pid = pids.incrementAndGet();
        CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
        exits.put(pid, exit);
        aliveGroups.add(pid);
        return CompletableFuture.completedFuture(new Started(pid, Optional.of(Instant.EPOCH.plusSeconds(pid)), exit));
    }

    /** The leader of {@code pid} exits; its group goes with it unless {@code remnants}. */
    public void exit(long pid, int code, boolean remnants) {
        if (!remnants) {
            aliveGroups.remove(pid);
        }
        exits.get(pid).complete(new ExitStatus(code));
    }

    /** A well-mannered process: it goes, with its group, on any signal but SIGCONT. */
    @Override
    public boolean signalGroup(long pgid, Signal signal) {
        signals.add(pgid + " " + signal);
        boolean alive = aliveGroups.contains(pgid);
        if (alive && signal != Signal.CONT) {
            aliveGroups.remove(pgid);
            exits.get(pgid).complete(new ExitStatus(128 + signal.number()));
        }
        return alive;
    }

    @Override
    public boolean signal(long pid, Signal signal) {
        signals.add("pid " + pid + " " + signal);
        return exits.containsKey(pid);
    }

    @Override
    public boolean groupAlive(long pgid) {
        return aliveGroups.contains(pgid);
    }

    /** When set, the state file's registry (its thread) never learns that a group is gone by itself. */
    public volatile boolean registryBlind;

    @Override
    public boolean groupKnownGoneAfterExit(long pgid, long exitSeenNanos) {
        if (registryBlind && Thread.currentThread().getName().startsWith("procpool-state")) {
            return false;
        }
        return !groupAlive(pgid);
    }

    @Override
    public Optional<ProcessInfo> process(long pid) {
        return Optional.empty();
    }

    @Override
    public Map<Long, ProcessInfo> carrying(String entry) {
        return Map.of();
    }

    @Override
    public Map<Long, ProcessUsage> usage(Collection<Long> groups) {
        return Map.of();
    }

    @Override
    public WriteWatch watchWrites(Path dir, Duration period, Consumer<Optional<Set<Path>>> written) {
        return new WriteWatch() {
            @Override
            public void renew() {
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        closes.incrementAndGet();
    }
}
