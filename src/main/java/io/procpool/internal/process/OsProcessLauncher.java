package io.procpool.internal.process;

import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchException;
import io.procpool.spi.LaunchSpec;
import io.procpool.spi.ProcessLauncher;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts real child processes, each the leader of a new session and process group, with stdout
 * and stderr appended to its log file and stdin on {@code /dev/null}.
 *
 * <p>Two ways to start one. Where glibc and the kernel allow (glibc 2.34+, Linux 5.3+):
 * {@link PosixSpawn} execs the command directly as a session leader and {@link PidReaper} learns
 * of its exit through a pidfd, one thread for all children. Elsewhere: the JDK's
 * {@link ProcessBuilder} under {@code setsid}, and a JDK reaper thread per child.
 *
 * <p>{@code pool.children-die-with-manager} puts {@code setpriv --pdeathsig TERM} in front of
 * the command, so the kernel sends SIGTERM to a child whose manager died (SIGKILL, OOM killer).
 * Linux sends the parent-death signal when the <em>thread</em> that started a child ends, so all
 * starts then happen on one dedicated thread that lives as long as the JVM. Without it, a
 * posix_spawn runs on the caller's thread (an instance actor's), since the hop to another thread
 * cost more than the call itself; ProcessBuilder, which blocks longer, keeps the dedicated thread.
 *
 * <p>Owns the state dir: a lock keeps a second manager off it, the {@link StateFile} records
 * every live child, and {@link #open} first stops whatever an earlier, killed manager left there.
 */
public final class OsProcessLauncher implements ProcessLauncher, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OsProcessLauncher.class);

    /**
     * The environment variable every child gets, with this manager's run id: it marks the child
     * and, inherited, its descendants, so that the next manager on the same state dir can find
     * them after a crash even where the state file could not say (see {@link OrphanReaper}).
     */
    public static final String RUN_ENV = "PROCPOOL_RUN";

    private final Path stateDir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ChildRegistry registry;
    private final LogRotator rotator;
    /** Starts children under ProcessBuilder (it blocks for milliseconds) or setpriv (its thread must live on). */
    private final ExecutorService starter;
    /** Set by {@link #close}; guarded by {@link #prepared}. */
    private boolean closed;
    /** What goes in front of every command: setsid (ProcessBuilder only) and setpriv (die-with-manager). */
    private final List<String> wrapper;
    /** Set when children are started with posix_spawn and reaped through pidfds. */
    private final PidReaper reaper;
    /** This manager's run id (see {@link #RUN_ENV}). */
    private final String run;
    /** How long a process found by its run id gets between SIGTERM and SIGKILL. */
    private final Duration strayStopTimeout;
    /**
     * Per launch spec (by identity: an instance keeps its spec across restarts): what can be
     * worked out once (environment, program path, log dir, the posix_spawn call). Used under its
     * own lock (posix_spawn on the caller's thread) or on the launcher thread only. Specs of instances that are gone linger until the map is cleared at its bound.
     */
    private final Map<LaunchSpec, Prepared> prepared = new java.util.IdentityHashMap<>();
    private static final int PREPARED_BOUND = 4096;

    /**
     * @param spawn the posix_spawn call, ready to go; null with ProcessBuilder
     */
    private record Prepared(List<String> argv, Map<String, String> env, PosixSpawn.Template spawn,
                            String marker) {
    }

    private OsProcessLauncher(Path stateDir, FileChannel lockChannel, FileLock lock, ChildRegistry registry,
                              LogRotator rotator, List<String> wrapper, PidReaper reaper, String run,
                              Duration strayStopTimeout) {
        this.stateDir = stateDir;
        this.run = run;
        this.strayStopTimeout = strayStopTimeout;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.registry = registry;
        this.rotator = rotator;
        this.wrapper = wrapper;
        this.reaper = reaper;
        this.starter = Executors.newSingleThreadExecutor(r -> ChildRegistry.daemon(r, "procpool-launcher"));
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
     * @param orphanStopTimeout how long a left-over child gets between SIGTERM and SIGKILL
     * @param backstopGrace how long the JVM shutdown hook waits for a graceful stop before it
     *     SIGKILLs what is left
     * @throws StateDirLockedException when another manager holds the state dir
     * @throws IOException when the state dir cannot be created or written
     */
    public static OsProcessLauncher open(Path stateDir, Duration orphanStopTimeout, Duration backstopGrace)
            throws IOException {
        return open(stateDir, orphanStopTimeout, backstopGrace, true);
    }

    /**
     * As {@link #open(Path, Duration, Duration)}, choosing whether children get SIGTERM from the
     * kernel when the manager dies ({@code pool.children-die-with-manager}).
     */
    public static OsProcessLauncher open(Path stateDir, Duration orphanStopTimeout, Duration backstopGrace,
                                         boolean dieWithManager) throws IOException {
        Files.createDirectories(stateDir);
        Path lockFile = stateDir.resolve("procpool.lock");
        FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // another pool in this very JVM holds it
        }
        if (lock == null) {
            String holder = Files.readString(lockFile, StandardCharsets.UTF_8).trim();
            ch.close();
            throw new StateDirLockedException("the state dir " + stateDir + " is in use by another procpool"
                    + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                    + "; stop it first, or give this pool its own pool.state-dir");
        }
        ch.truncate(0);
        ch.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
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
            int reaped = OrphanReaper.reap(left, stateFile.previousRun(), orphanStopTimeout);
            if (reaped > 0) {
                log.info("stopped {} process group(s) or lone process(es) left by an earlier run", reaped);
            }
            // Written into the snapshot before any child starts: whenever this manager dies, the
            // next one knows what its children carry.
            String run = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
            ChildRegistry registry = new ChildRegistry(stateFile, backstopGrace, run);
            registry.writeNow();
            LogRotator rotator = new LogRotator(stateDir.resolve("logs"));
            PidReaper reaper = nativeSpawn() ? PidReaper.open().orElse(null) : null;
            if (reaper == null) {
                log.info("starting children through the JDK's ProcessBuilder (posix_spawn with pidfds is not available here)");
            }
            return new OsProcessLauncher(stateDir, ch, lock, registry, rotator,
                    wrapperCommand(reaper == null, dieWithManager), reaper, run, orphanStopTimeout);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    /**
     * posix_spawn unless {@code -Dprocpool.launcher=process-builder} asks for the JDK's way (the
     * integration suite runs both).
     */
    private static boolean nativeSpawn() {
        return !"process-builder".equals(System.getProperty("procpool.launcher")) && PosixSpawn.available();
    }

    /**
     * {@code setsid} (with ProcessBuilder only; posix_spawn does it itself) makes the child a
     * session and group leader, so its whole tree can be signalled, and a terminal's Ctrl-C
     * reaches only procpool, which then stops the children in order; {@code setpriv --pdeathsig}
     * ties the child's life to the manager's.
     */
    private static List<String> wrapperCommand(boolean setsid, boolean dieWithManager) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin");
        Path cwd = Path.of("").toAbsolutePath();
        List<String> wrapper = new ArrayList<>();
        if (setsid) {
            Optional<Path> found = Executables.onPath("setsid", path + ":/usr/bin:/bin", cwd);
            if (found.isEmpty()) {
                throw new IllegalStateException("setsid (util-linux) is not installed: procpool needs it to give "
                        + "each child its own process group");
            }
            wrapper.add(found.get().toString());
        }
        if (dieWithManager) {
            Executables.onPath("setpriv", path + ":/usr/bin:/bin", cwd).ifPresentOrElse(p -> {
                wrapper.add(p.toString());
                wrapper.add("--pdeathsig");
                wrapper.add("TERM");
                wrapper.add("--");
            }, () -> log.warn("setpriv not found: children of a manager that is SIGKILLed live on until the next start"));
        }
        return List.copyOf(wrapper);
    }

    /** How children are started: "posix_spawn" or "ProcessBuilder", and with "setpriv" when they die with the manager. */
    public String mechanism() {
        return (reaper != null ? "posix_spawn" : "ProcessBuilder") + (wrapper.stream().anyMatch(w -> w.endsWith("setpriv"))
                ? " + setpriv --pdeathsig" : "");
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

    @Override
    public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
        if (reaper != null && wrapper.isEmpty()) {
            // posix_spawn returns as soon as the child exists (a few hundred microseconds), so it
            // runs on the caller's thread: a hop to the launcher thread cost more than the call
            // on the path from a crash to serving again. Not with setpriv --pdeathsig: the kernel
            // would signal the children when the caller's thread ends, and dispatcher threads
            // do end. ProcessBuilder blocks for longer.
            synchronized (prepared) {
                if (closed) {
                    return CompletableFuture.failedFuture(new LaunchException("procpool is shutting down", false, null));
                }
                try {
                    return CompletableFuture.completedFuture(start(spec));
                } catch (RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
        }
        try {
            return CompletableFuture.supplyAsync(() -> start(spec), starter);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new LaunchException("procpool is shutting down", false, e));
        }
    }

    private Prepared prepare(LaunchSpec spec) throws IOException {
        Prepared p = prepared.get(spec);
        if (p == null) {
            Map<String, String> env = new HashMap<>(System.getenv());
            env.putAll(spec.env());
            env.put(RUN_ENV, run);
            Path program = Executables.resolve(spec.command().get(0), spec.workingDir(), env);
            List<String> argv = new ArrayList<>(wrapper);
            argv.add(program.toString());
            argv.addAll(spec.command().subList(1, spec.command().size()));
            PosixSpawn.Template template = null;
            if (reaper != null) {
                // Without a wrapper, argv[0] is the command as written, as a shell would pass it;
                // with one (setpriv ... -- /resolved/program args), setpriv execs the resolved path.
                List<String> nativeArgv = new ArrayList<>(argv);
                if (wrapper.isEmpty()) {
                    nativeArgv.set(0, spec.command().get(0));
                }
                template = PosixSpawn.template(wrapper.isEmpty() ? program : Path.of(wrapper.get(0)), nativeArgv, env,
                        spec.workingDir(), spec.logFile());
            }
            p = new Prepared(List.copyOf(argv), Map.copyOf(env), template,
                    ": starting " + spec.label() + ": " + io.procpool.config.CommandLine.render(spec.command()) + " -----\n");
            if (prepared.size() >= PREPARED_BOUND) {
                prepared.clear();
            }
            prepared.put(spec, p);
        }
        // Not cached: someone may have removed the log dir since, and a rotation may be due.
        Path logDir = spec.logFile().toAbsolutePath().getParent();
        if (!Files.isDirectory(logDir)) {
            Files.createDirectories(logDir);
        }
        rotator.watch(spec.logFile(), spec.log());
        return p;
    }

    private ChildProcess start(LaunchSpec spec) {
        Prepared prep;
        try {
            prep = prepare(spec);
        } catch (IOException e) {
            throw new LaunchException("cannot create the log directory of " + spec.label() + ": " + e.getMessage(), true, e);
        }
        marker(spec, prep);
        // Recorded before its exit can be learnt: a child that exits at once (a crash loop) is
        // reaped within microseconds, and its removal from the registry must find it there.
        if (reaper != null) {
            int pid;
            try {
                pid = PosixSpawn.spawn(prep.spawn());
            } catch (LaunchException e) {
                // The program may have been removed or moved: the next attempt looks it up again.
                prepared.remove(spec);
                throw e;
            }
            Optional<Instant> started = record(spec, pid);
            return new OsChildProcess(pid, started, reaper.watch(pid), registry);
        }
        Process process;
        try {
            process = startWithProcessBuilder(spec, prep);
        } catch (LaunchException e) {
            prepared.remove(spec);
            throw e;
        }
        return OsChildProcess.of(process, record(spec, process.pid()), registry);
    }

    /** Puts a new child in the registry and the state journal; when it started. */
    private Optional<Instant> record(LaunchSpec spec, long pid) {
        Optional<Instant> started = ProcessTable.startInstant(pid);
        registry.add(new StateFile.Entry(spec.service(), spec.port(), pid, started.map(Instant::toString).orElse(null),
                spec.command()));
        return started;
    }

    private Process startWithProcessBuilder(LaunchSpec spec, Prepared prep) {
        ProcessBuilder pb = new ProcessBuilder(prep.argv())
                .directory(spec.workingDir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()))
                .redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(prep.env());
        try {
            return pb.start();
        } catch (IOException e) {
            throw new LaunchException("cannot start " + spec.command().get(0) + ": " + e.getMessage(), false, e);
        }
    }

    /** A line in the log that says where one run's output starts. */
    private static void marker(LaunchSpec spec, Prepared prep) {
        byte[] line = ("----- procpool " + Instant.now() + prep.marker()).getBytes(StandardCharsets.UTF_8);
        try (java.io.FileOutputStream out = new java.io.FileOutputStream(spec.logFile().toFile(), true)) {
            out.write(line);
        } catch (IOException e) {
            log.debug("cannot write to {}: {}", spec.logFile(), e.toString());
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
            closed = true;
        }
        starter.shutdown();
        if (registry.size() == 0) {
            int strays = OrphanReaper.strays(run, strayStopTimeout);
            if (strays > 0) {
                log.info("stopped {} process(es) that outlived their service's process group", strays);
            }
        }
        registry.close();
        if (reaper != null) {
            reaper.close();
        }
        try {
            rotator.close();
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            log.debug("closing the state dir: {}", e.toString());
        }
    }
}
