package io.procpool.process;

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
 * Starts real child processes, each the leader of a new session and process group
 * ({@code setsid}), with stdout and stderr appended to its log file and stdin on
 * {@code /dev/null}.
 *
 * <p>Owns the state dir: a lock keeps a second manager off it, the {@link StateFile} records
 * every live child, and {@link #open} first stops whatever an earlier, killed manager left there.
 *
 * <p>All starts happen on one dedicated, never-ending thread. That keeps {@code fork/exec} off
 * the actors' threads, and makes {@code setpriv --pdeathsig} safe: Linux sends the parent-death
 * signal when the <em>thread</em> that started a child ends, so the starting thread must live as
 * long as the JVM. With it, children die with a SIGKILLed manager instead of living on.
 */
public final class OsProcessLauncher implements ProcessLauncher, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OsProcessLauncher.class);

    private final Path stateDir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ChildRegistry registry;
    private final LogRotator rotator;
    private final ExecutorService starter;
    private final List<String> wrapper;

    private OsProcessLauncher(Path stateDir, FileChannel lockChannel, FileLock lock, ChildRegistry registry,
                              LogRotator rotator, List<String> wrapper) {
        this.stateDir = stateDir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.registry = registry;
        this.rotator = rotator;
        this.wrapper = wrapper;
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
            int reaped = OrphanReaper.reap(left, orphanStopTimeout);
            if (reaped > 0) {
                log.info("stopped {} process group(s) left by an earlier run", reaped);
            }
            ChildRegistry registry = new ChildRegistry(stateFile, backstopGrace);
            registry.writeNow();
            LogRotator rotator = new LogRotator(stateDir.resolve("logs"));
            return new OsProcessLauncher(stateDir, ch, lock, registry, rotator, wrapperCommand());
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    /**
     * {@code setsid} makes the child a session and group leader (so its whole tree can be
     * signalled, and a terminal's Ctrl-C reaches only procpool, which then stops the children in
     * order); {@code setpriv --pdeathsig} ties the child's life to the manager's.
     */
    private static List<String> wrapperCommand() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin");
        Path cwd = Path.of("").toAbsolutePath();
        List<String> wrapper = new ArrayList<>();
        Optional<Path> setsid = Executables.onPath("setsid", path + ":/usr/bin:/bin", cwd);
        if (setsid.isEmpty()) {
            throw new IllegalStateException("setsid (util-linux) is not installed: procpool needs it to give "
                    + "each child its own process group");
        }
        wrapper.add(setsid.get().toString());
        Executables.onPath("setpriv", path + ":/usr/bin:/bin", cwd).ifPresentOrElse(p -> {
            wrapper.add(p.toString());
            wrapper.add("--pdeathsig");
            wrapper.add("TERM");
            wrapper.add("--");
        }, () -> log.warn("setpriv not found: children of a manager that is SIGKILLed live on until the next start"));
        return List.copyOf(wrapper);
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
        try {
            return CompletableFuture.supplyAsync(() -> start(spec), starter);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new LaunchException("procpool is shutting down", false, e));
        }
    }

    private ChildProcess start(LaunchSpec spec) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(spec.env());
        Path program = Executables.resolve(spec.command().get(0), spec.workingDir(), env);
        List<String> argv = new ArrayList<>(wrapper);
        argv.add(program.toString());
        argv.addAll(spec.command().subList(1, spec.command().size()));
        ProcessBuilder pb = new ProcessBuilder(argv)
                .directory(spec.workingDir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()))
                .redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process process;
        try {
            Files.createDirectories(spec.logFile().getParent());
            rotator.watch(spec.logFile(), spec.log());
            marker(spec);
            process = pb.start();
        } catch (IOException e) {
            throw new LaunchException("cannot start " + spec.command().get(0) + ": " + e.getMessage(), false, e);
        }
        OsChildProcess child = new OsChildProcess(process, registry);
        registry.add(new StateFile.Entry(spec.service(), spec.port(), child.pid(),
                child.startTime().map(Instant::toString).orElse(null), spec.command()));
        return child;
    }

    /** A line in the log that says where one run's output starts. */
    private static void marker(LaunchSpec spec) {
        String line = "----- procpool " + Instant.now() + ": starting " + spec.label() + ": "
                + io.procpool.config.CommandLine.render(spec.command()) + " -----\n";
        try {
            Files.writeString(spec.logFile(), line, StandardCharsets.UTF_8, StandardOpenOption.APPEND,
                    StandardOpenOption.CREATE);
        } catch (IOException e) {
            log.debug("cannot write to {}: {}", spec.logFile(), e.toString());
        }
    }

    /**
     * Releases the state dir. Children still running are not touched (stopping them is the
     * actors' job); they stay in the state file for the next manager to find.
     */
    @Override
    public void close() {
        starter.shutdown();
        registry.close();
        try {
            rotator.close();
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            log.debug("closing the state dir: {}", e.toString());
        }
    }
}
