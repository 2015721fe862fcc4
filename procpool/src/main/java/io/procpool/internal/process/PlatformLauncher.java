package io.procpool.internal.process;

import io.procpool.config.CommandLine;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchException;
import io.procpool.spi.LaunchSpec;
import io.procpool.spi.Platform;
import io.procpool.spi.ProcessLauncher;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts real child processes on a {@link Platform}, each the leader of a new session and process
 * group, with stdout and stderr appended to its log file (stderr to a file of its own with
 * {@code log.stderr = separate}; through the platform's pipe with {@code log.timestamps}), as its
 * service's user, group and umask, and stdin on {@code /dev/null}; and owns
 * the state dir: a lock keeps a second manager off it, the {@link StateFile} records every live
 * child, {@link #open} first stops whatever an earlier, killed manager left there, and a
 * {@link LogRotator} keeps the logs under their caps. All of that is the same on every platform.
 *
 * <p><b>What {@link #launch} does on its caller's thread</b> (an instance actor's, when the platform
 * starts on the caller's thread, as Linux's posix_spawn does): the first time for a spec, resolving
 * the program and preparing the call; then, every time, one {@code stat} of the log directory, one
 * {@code inotify_add_watch}, one append of a marker line to the log file (and one to the stderr
 * file when it has its own), the start itself, one
 * read of {@code /proc/PID/stat} for the start time, and one append to the state journal. Measured
 * with {@code bench/LaunchCost.java} on the benchmark machine: the stat 2 µs, each append 12 µs,
 * the {@code /proc} read 52 µs, about 80 µs in all against about 1 ms for the whole launch (p50
 * over 2,000 starts). They stay on the caller's thread because the marker must precede the
 * child's first output and the journal line must precede any chance of the manager dying with an
 * unrecorded child, and a hop to another thread costs more than they do (a hop on the path from
 * a crash to serving cost 1.6 ms, docs/architecture.md). Rotating a file over its cap is not among
 * them: that runs on the watch thread. What this does NOT promise: a state dir on a file system
 * that stalls (NFS, a full disk) stalls the caller too; keep it local.
 */
public final class PlatformLauncher implements ProcessLauncher, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PlatformLauncher.class);

    /**
     * The environment variable every child gets, with this manager's run id: it marks the child
     * and, inherited, its descendants, so that the next manager on the same state dir can find
     * them after a crash even where the state file could not say (see {@link OrphanReaper}).
     */
    public static final String RUN_ENV = "PROCPOOL_RUN";

    private final Platform platform;
    private final Path stateDir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ChildRegistry registry;
    private final LogRotator rotator;
    /** This manager's run id (see {@link #RUN_ENV}). */
    private final String run;
    /** How long a process found by its run id gets between SIGTERM and SIGKILL. */
    private final Duration strayStopTimeout;
    /**
     * Per launch spec (by identity: an instance keeps its spec across restarts): the prepared
     * call and the marker line. Guarded by itself; specs of instances that are gone linger until
     * the map is cleared at its bound.
     */
    private final Map<LaunchSpec, Prepared> prepared = new IdentityHashMap<>();
    private static final int PREPARED_BOUND = 4096;
    /** Set by {@link #close}; guarded by {@link #prepared}. */
    private boolean closed;
    /**
     * Creates the log files of the starts {@link #expect}ed: one thread, there only while it has
     * work. Why not on the launching thread: creating a file is the one costly step of a first
     * start's bookkeeping (reopening one is 8 µs); on the benchmark machine's disk 0.5 to 0.9 ms
     * of kernel time per new file, 0.22 s of a cold start of 500 on the instances' thread
     * (docs/architecture.md, "First-time file work goes ahead of the spawns").
     */
    private final java.util.concurrent.ThreadPoolExecutor ahead = io.procpool.internal.Threads.onDemand("procpool-files-ahead",
            Duration.ofSeconds(2));

    private record Prepared(Platform.Prepared command, String marker) {
    }

    private PlatformLauncher(Platform platform, Path stateDir, FileChannel lockChannel, FileLock lock, ChildRegistry registry,
                             LogRotator rotator, String run, Duration strayStopTimeout) {
        this.platform = platform;
        this.stateDir = stateDir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.registry = registry;
        this.rotator = rotator;
        this.run = run;
        this.strayStopTimeout = strayStopTimeout;
    }

    /** The state dir is in use by another live manager. */
    public static final class StateDirLockedException extends IOException {
        StateDirLockedException(String message) {
            super(message);
        }
    }

    /**
     * Takes the state dir: locks it, stops the children an earlier manager left running there
     * (blocking until they are gone), and prepares the log directory.
     *
     * @param stateDir the state directory (created if missing)
     * @param platform the operating system; closed with this launcher
     * @param orphanStopTimeout how long a left-over child gets between SIGTERM and SIGKILL
     * @param backstopGrace how long the JVM shutdown hook waits for a graceful stop before it
     *     SIGKILLs what is left
     * @throws StateDirLockedException when another manager holds the state dir
     * @throws IOException when the state dir cannot be created or written
     */
    public static PlatformLauncher open(Path stateDir, Platform platform, Duration orphanStopTimeout, Duration backstopGrace)
            throws IOException {
        Files.createDirectories(stateDir);
        Path lockFile = stateDir.resolve("procpool.lock");
        FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // another pool in this very JVM holds it
        }
        if (lock == null) {
            String holder = Files.readString(lockFile, StandardCharsets.UTF_8).trim();
            ch.close();
            throw new StateDirLockedException("the state dir " + stateDir + " is in use by another procpool"
                    + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                    + "; stop it first, or give this pool its own procpool.state-dir");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
        try {
            StateFile stateFile = new StateFile(stateDir);
            List<StateFile.Entry> left;
            try {
                left = stateFile.read();
            } catch (IOException e) {
                log.warn("the state file {} cannot be read ({}); cannot look for processes of an earlier run",
                        stateFile.path(), e.toString());
                left = List.of();
            }
            int reaped = OrphanReaper.reap(platform, left, stateFile.previousRun(), orphanStopTimeout);
            if (reaped > 0) {
                log.info("stopped {} process group(s) or lone process(es) left by an earlier run", reaped);
            }
            // Written into the snapshot before any child starts: whenever this manager dies, the
            // next one knows what its children carry.
            String run = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
            ChildRegistry registry = new ChildRegistry(platform, stateFile, backstopGrace, run);
            registry.writeNow();
            LogRotator rotator = new LogRotator(stateDir.resolve("logs"), platform);
            return new PlatformLauncher(platform, stateDir, ch, lock, registry, rotator, run, orphanStopTimeout);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    /** How children are started: the platform's way. */
    public String mechanism() {
        return platform.mechanism();
    }

    /** The state directory this launcher owns. */
    public Path stateDir() {
        return stateDir;
    }

    /** Children started and not yet gone with their whole group. */
    public int liveChildren() {
        return registry.size();
    }

    /** SIGKILLs every live child's process group at once (the forced stop). */
    public void killAll() {
        registry.killAll();
    }

    /**
     * {@code now} is equal to {@code was} and stands for the same instance from here on: what was
     * prepared for {@code was} serves {@code now}'s launches too, without preparing again
     * (the {@link io.procpool.internal.supervision.HeadStart}'s starts, claimed by a pool).
     */
    public void sameSpec(LaunchSpec was, LaunchSpec now) {
        synchronized (prepared) {
            Prepared p = prepared.get(was);
            if (p != null && !prepared.containsKey(now)) {
                prepared.put(now, p);
            }
        }
    }

    @Override
    public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
        Prepared prep;
        synchronized (prepared) {
            if (closed) {
                return CompletableFuture.failedFuture(new LaunchException("procpool is shutting down", false, null));
            }
            try {
                prep = prepare(spec);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        marker(spec, prep);
        return platform.start(prep.command()).handle((started, error) -> {
            if (error != null) {
                // The program may have been removed or moved: the next attempt looks it up again.
                synchronized (prepared) {
                    prepared.remove(spec);
                }
                throw error instanceof CompletionException ce ? ce : new CompletionException(error);
            }
            // Recorded before the pool can learn of its end: a child that exits at once (a crash
            // loop) is forgotten only once its record is there.
            registry.add(new StateFile.Entry(spec.service(), spec.port(), started.pid(),
                    started.startTime().map(Instant::toString).orElse(null), spec.command()));
            return new PlatformChild(platform, started, registry);
        });
    }

    /**
     * Creates, on a thread of its own, the log files (and stderr files) of {@code specs} that do
     * not exist yet, with their directories; a launch that comes first creates its own as before.
     * Nothing is truncated: a file is only ever opened to append.
     */
    @Override
    public void expect(java.util.Collection<LaunchSpec> specs) {
        createAhead(specs);
    }

    /** What {@link #expect} does; the future is done once every file is there (for tests). */
    java.util.concurrent.Future<?> createAhead(java.util.Collection<LaunchSpec> specs) {
        List<Path> files = new java.util.ArrayList<>();
        for (LaunchSpec spec : specs) {
            files.add(spec.logFile());
            if (spec.log().separateStderr()) {
                files.add(LogFiles.errorLog(spec.logFile()));
            }
        }
        try {
            return ahead.submit(() -> files.forEach(PlatformLauncher::createIfMissing));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null); // closed meanwhile: the launches, refused too, need none of them
        }
    }

    private static void createIfMissing(Path file) {
        if (Files.exists(file)) {
            return;
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            new FileOutputStream(file.toFile(), true).close();
        } catch (IOException e) {
            log.debug("could not create {} ahead of its start (the start will say why): {}", file, e.toString());
        }
    }

    /** What is prepared per spec, and what every start does before the child exists: the log directory and its watch. */
    private Prepared prepare(LaunchSpec spec) {
        Prepared p = prepared.get(spec);
        if (p == null) {
            Map<String, String> env = Executables.inheritedEnvironment();
            env.putAll(spec.env());
            env.put(RUN_ENV, run);
            Path program = Executables.resolve(spec.command().get(0), spec.workingDir(), env);
            p = new Prepared(platform.prepare(program, spec.command(), env, spec.workingDir(), output(spec), spec.runAs()),
                    ": starting " + spec.label() + ": " + CommandLine.render(spec.command()) + " -----\n");
            if (prepared.size() >= PREPARED_BOUND) {
                prepared.clear();
            }
            prepared.put(spec, p);
        }
        // Not cached: someone may have removed the log dir since.
        Path logDir = spec.logFile().toAbsolutePath().getParent();
        if (!Files.isDirectory(logDir)) {
            try {
                Files.createDirectories(logDir);
            } catch (IOException e) {
                throw new LaunchException("cannot create the log directory of " + spec.label() + ": " + e.getMessage(), true, e);
            }
        }
        rotator.watch(spec.logFile(), spec.log());
        if (spec.log().separateStderr()) {
            rotator.watch(LogFiles.errorLog(spec.logFile()), spec.log());
        }
        return p;
    }

    /** Where the output of {@code spec}'s process goes. */
    private static Platform.Output output(LaunchSpec spec) {
        return new Platform.Output(spec.logFile(), spec.log().separateStderr()
                ? java.util.Optional.of(LogFiles.errorLog(spec.logFile())) : java.util.Optional.empty(), spec.log().timestamps());
    }

    /** A line in the log (and in the stderr log when there is one) that says where one run's output starts. */
    private static void marker(LaunchSpec spec, Prepared prep) {
        byte[] line = ("----- procpool " + Instant.now() + prep.marker()).getBytes(StandardCharsets.UTF_8);
        append(spec.logFile(), line);
        if (spec.log().separateStderr()) {
            append(LogFiles.errorLog(spec.logFile()), line);
        }
    }

    private static void append(Path file, byte[] line) {
        try (FileOutputStream out = new FileOutputStream(file.toFile(), true)) {
            out.write(line);
        } catch (IOException e) {
            log.debug("cannot write to {}: {}", file, e.toString());
        }
    }

    /**
     * Releases the state dir. Children still running are not touched (stopping them is the
     * actors' job); they stay in the state file for the next manager to find. When none is left,
     * the processes that still carry this run's id (descendants that left their group) are
     * stopped first, blocking up to the orphan stop timeout (then SIGKILL); until that is done the
     * state file keeps the run id, so a manager killed meanwhile leaves them to the next one.
     */
    @Override
    public void close() {
        synchronized (prepared) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (registry.size() == 0) {
            int strays = OrphanReaper.strays(platform, run, strayStopTimeout);
            if (strays > 0) {
                log.info("stopped {} process(es) that outlived their service's process group", strays);
            }
        }
        registry.close();
        platform.close();
        rotator.close();
        ahead.shutdownNow();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            log.debug("closing the state dir: {}", e.toString());
        }
    }

    /** The platform the children run on. */
    public Platform platform() {
        return platform;
    }
}
