package io.procpool.internal.linux;

import io.procpool.api.ExitStatus;
import io.procpool.config.Signal;
import io.procpool.internal.process.Executables;
import io.procpool.spi.LaunchException;
import io.procpool.spi.Platform;
import io.procpool.spi.ProcessUsage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * procpool's {@link Platform} on Linux.
 *
 * <p>Two ways to start a child. Where glibc and the kernel allow (glibc 2.34+, Linux 5.3+):
 * {@link PosixSpawn} execs the command directly as a session leader and {@link PidReaper} learns
 * of its exit through a pidfd, one thread for all children. Elsewhere (or with
 * {@code -Dprocpool.launcher=process-builder}): the JDK's {@link ProcessBuilder} under
 * {@code setsid}, and a JDK reaper thread per child.
 *
 * <p>{@code children-die-with-manager} puts {@code setpriv --pdeathsig TERM} in front of the
 * command, so the kernel sends SIGTERM to a child whose manager died (SIGKILL, OOM killer). Linux
 * sends the parent-death signal when the <em>thread</em> that started a child ends, so all starts
 * then happen on one dedicated thread that lives as long as the JVM. Without it, a posix_spawn
 * runs on the caller's thread (an instance actor's): the hop to another thread cost more than the
 * call itself (docs/benchmarks.md). ProcessBuilder, which blocks longer, keeps the dedicated thread.
 *
 * <p>Groups' liveness, start times, the process scan and usage come from {@code /proc}
 * ({@link ProcessTable}, {@link ProcessStats}); signals from {@code kill(2)} ({@link Posix}); writes
 * to the log directory from inotify ({@link InotifyWatch}).
 */
public final class LinuxPlatform implements Platform {

    private static final Logger log = LoggerFactory.getLogger(LinuxPlatform.class);

    /** Set when children are started with posix_spawn and reaped through pidfds. */
    private final PidReaper reaper;
    /** What goes in front of every command: setsid (ProcessBuilder only) and setpriv (die-with-manager). */
    private final List<String> wrapper;
    /** Starts children under ProcessBuilder (it blocks for milliseconds) or setpriv (its thread must live on). */
    private final ExecutorService starter;
    /** What this JVM adopts, as a child subreaper or PID 1; null when it adopts nothing. */
    private final Orphans orphans;

    private LinuxPlatform(PidReaper reaper, List<String> wrapper, Orphans orphans) {
        this.reaper = reaper;
        this.wrapper = wrapper;
        this.orphans = orphans;
        this.starter = Executors.newSingleThreadExecutor(r -> daemon(r, "procpool-launcher"));
    }

    /**
     * The Linux platform.
     *
     * @param dieWithManager children get SIGTERM from the kernel when the manager dies
     *     ({@code pool.children-die-with-manager})
     */
    public static LinuxPlatform open(boolean dieWithManager) {
        return open(dieWithManager, false);
    }

    /**
     * The Linux platform.
     *
     * @param dieWithManager children get SIGTERM from the kernel when the manager dies
     *     ({@code pool.children-die-with-manager})
     * @param subreaper make this JVM a child subreaper ({@code PR_SET_CHILD_SUBREAPER}): the
     *     services' orphaned descendants come to it instead of to init, and are reaped and stopped
     *     with their instance (see {@link Orphans}). The command line sets it; an embedding
     *     application asks for it ({@code ProcessPool.Builder.subreaper}). A JVM that is PID 1
     *     adopts orphans either way, and reaps them as a subreaper does.
     */
    public static LinuxPlatform open(boolean dieWithManager, boolean subreaper) {
        PidReaper reaper = nativeSpawn() ? PidReaper.open().orElse(null) : null;
        if (reaper == null) {
            log.info("starting children through the JDK's ProcessBuilder (posix_spawn with pidfds is not available here)");
        }
        return new LinuxPlatform(reaper, wrapperCommand(reaper == null, dieWithManager), Orphans.open(subreaper).orElse(null));
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

    @Override
    public String mechanism() {
        return (reaper != null ? "posix_spawn + pidfd" : "ProcessBuilder") + (wrapper.stream().anyMatch(w -> w.endsWith("setpriv"))
                ? " + setpriv --pdeathsig" : "") + (orphans != null ? " + " + orphans.mechanism() : "");
    }

    /**
     * @param argv the words run: the wrapper and the resolved program, or (posix_spawn without a
     *     wrapper) the command as written, whose first word a shell would pass too
     * @param spawn the posix_spawn call, ready to go; null with ProcessBuilder
     */
    private record Command(List<String> argv, Map<String, String> env, Path workingDir, Path logFile,
                           PosixSpawn.Template spawn) implements Prepared {
    }

    @Override
    public Prepared prepare(Path program, List<String> argv, Map<String, String> env, Path workingDir, Path logFile) {
        List<String> words = new ArrayList<>(wrapper);
        words.add(program.toString());
        words.addAll(argv.subList(1, argv.size()));
        PosixSpawn.Template template = null;
        if (reaper != null) {
            // Without a wrapper, argv[0] is the command as written, as a shell would pass it; with
            // one (setpriv ... -- /resolved/program args), setpriv execs the resolved path.
            List<String> nativeArgv = new ArrayList<>(words);
            if (wrapper.isEmpty()) {
                nativeArgv.set(0, argv.get(0));
            }
            template = PosixSpawn.template(wrapper.isEmpty() ? program : Path.of(wrapper.get(0)), nativeArgv, env,
                    workingDir, logFile);
        }
        return new Command(List.copyOf(words), Map.copyOf(env), workingDir, logFile, template);
    }

    @Override
    public CompletionStage<Started> start(Prepared prepared) {
        Command command = (Command) prepared;
        if (reaper != null && wrapper.isEmpty()) {
            // posix_spawn returns as soon as the child exists (a few hundred microseconds), so it
            // runs on the caller's thread: a hop to the launcher thread cost more than the call on
            // the path from a crash to serving again. Not with setpriv --pdeathsig: the kernel
            // would signal the children when the caller's thread ends, and dispatcher threads do.
            try {
                return CompletableFuture.completedFuture(spawn(command));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        try {
            return CompletableFuture.supplyAsync(() -> reaper != null ? spawn(command) : startWithProcessBuilder(command), starter);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new LaunchException("procpool is shutting down", false, e));
        }
    }

    /** posix_spawn; the start time is read before the reaper watches, so before the child can be reaped. */
    private Started spawn(Command command) {
        if (orphans == null) {
            return spawnNow(command);
        }
        Started s = orphans.spawning(() -> spawnNow(command), Started::pid);
        s.exit().thenRun(() -> orphans.instanceReaped(s.pid()));
        return s;
    }

    private Started spawnNow(Command command) {
        int pid = PosixSpawn.spawn(command.spawn());
        Optional<Instant> started = ProcessTable.startInstant(pid);
        return new Started(pid, started, reaper.watch(pid));
    }

    private Started startWithProcessBuilder(Command command) {
        if (orphans == null) {
            return startWithProcessBuilderNow(command);
        }
        Started s = orphans.spawning(() -> startWithProcessBuilderNow(command), Started::pid);
        s.exit().thenRun(() -> orphans.instanceReaped(s.pid()));
        return s;
    }

    private Started startWithProcessBuilderNow(Command command) {
        ProcessBuilder pb = new ProcessBuilder(command.argv())
                .directory(command.workingDir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(command.logFile().toFile()))
                .redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(command.env());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new LaunchException("cannot start " + command.argv().get(wrapper.size()) + ": " + e.getMessage(), false, e);
        }
        // The JDK reaps it: its start time can be read from /proc until the exit future completes.
        Optional<Instant> started = ProcessTable.startInstant(process.pid());
        return new Started(process.pid(), started, process.onExit().thenApply(p -> new ExitStatus(p.exitValue())));
    }

    @Override
    public boolean signalGroup(long pgid, Signal signal) {
        boolean group = Posix.killGroup(pgid, signal.number());
        if (orphans != null) {
            orphans.signalSession(pgid, signal.number()); // adopted descendants that left the group but not the session
        }
        return group;
    }

    @Override
    public boolean signal(long pid, Signal signal) {
        return Posix.kill(pid, signal.number());
    }

    @Override
    public boolean groupAlive(long pgid) {
        return Posix.groupExists(pgid) || orphans != null && orphans.aliveInSession(pgid);
    }

    @Override
    public Optional<ProcessInfo> process(long pid) {
        return ProcessTable.stat(pid).map(s -> new ProcessInfo(pid, s.pgrp(), s.startInstant(), s.live()));
    }

    @Override
    public Map<Long, ProcessInfo> carrying(String entry) throws IOException {
        Map<Long, ProcessInfo> out = new HashMap<>();
        ProcessTable.withEnvironmentEntry(entry).forEach((pid, s) -> out.put(pid, new ProcessInfo(pid, s.pgrp(),
                s.startInstant(), s.live())));
        return out;
    }

    @Override
    public Map<Long, ProcessUsage> usage(Collection<Long> groups) {
        return ProcessStats.sample(groups);
    }

    @Override
    public WriteWatch watchWrites(Path dir, Duration period, Consumer<Optional<Set<Path>>> written) throws IOException {
        return new InotifyWatch(dir, period, written);
    }

    @Override
    public void close() {
        starter.shutdown();
        if (orphans != null) {
            orphans.close();
        }
        if (reaper != null) {
            reaper.close();
        }
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
