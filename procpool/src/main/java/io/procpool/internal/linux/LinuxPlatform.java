package io.procpool.internal.linux;

import io.procpool.api.ExitStatus;
import io.procpool.config.RunAs;
import io.procpool.config.Signal;
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
 * <p>{@code children-die-with-manager} puts {@code procpool-pdeathsig} (or, where that program is
 * not installed, {@code setpriv --pdeathsig TERM}) in front of the command, so the kernel sends
 * SIGTERM to a child whose manager died (SIGKILL, OOM killer). Linux
 * sends the parent-death signal when the <em>thread</em> that started a child ends, so such a
 * start happens on a thread that lives as long as its children: one marked so
 * ({@code Threads.outlivesItsChildren}: the instances' dispatcher's own), or else one
 * dedicated thread that lives as long as this platform. A posix_spawn without the signal runs on
 * the caller's thread, whichever it is: the hop to another thread cost more than the call itself
 * (docs/benchmarks.md). ProcessBuilder, which blocks longer, keeps the dedicated thread.
 *
 * <p>Groups' liveness, start times, the process scan and usage come from {@code /proc}
 * ({@link ProcessTable}, {@link ProcessStats}); signals from {@code kill(2)} ({@link Posix}); writes
 * to the log directory from inotify ({@link InotifyWatch}).
 */
public final class LinuxPlatform implements Platform {

    private static final Logger log = LoggerFactory.getLogger(LinuxPlatform.class);

    /** Set when children are started with posix_spawn and reaped through pidfds. */
    private final PidReaper reaper;
    /** What goes in front of commands: setsid (ProcessBuilder only), the death signal's program, setpriv, a umask. */
    private final Wrapper wrapper;
    /** Starts children under ProcessBuilder (it blocks for milliseconds) or with a death signal (its thread must live on). */
    private final ExecutorService starter;
    /** What this JVM adopts, as a child subreaper or PID 1; null when it adopts nothing. */
    private final Orphans orphans;
    /** Copies timestamped output; made at the first start that asks for it. Guarded by this. */
    private OutputPump pump;

    private LinuxPlatform(PidReaper reaper, Wrapper wrapper, Orphans orphans) {
        this.reaper = reaper;
        this.wrapper = wrapper;
        this.orphans = orphans;
        this.starter = Executors.newSingleThreadExecutor(r -> io.procpool.internal.Threads.daemon(r, "procpool-launcher"));
    }

    /**
     * The Linux platform.
     *
     * @param dieWithManager children get SIGTERM from the kernel when the manager dies
     *     ({@code procpool.children-die-with-manager})
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
        return new LinuxPlatform(reaper, Wrapper.find(reaper == null, dieWithManager), Orphans.open(subreaper).orElse(null));
    }

    /**
     * Binds libc now (JNA's native library unpacked and loaded, posix_spawn's calls resolved),
     * which {@link #open} would do first: for a start that does it early on another thread
     * (see {@code io.procpool.internal.tuning.Prewarm}).
     */
    public static void bindNatives() {
        PosixSpawn.bindNatives();
    }

    /**
     * posix_spawn unless {@code -Dprocpool.launcher=process-builder} asks for the JDK's way (the
     * integration suite runs both).
     */
    private static boolean nativeSpawn() {
        return !"process-builder".equals(System.getProperty("procpool.launcher")) && PosixSpawn.available();
    }

    @Override
    public String mechanism() {
        return (reaper != null ? "posix_spawn + pidfd" : "ProcessBuilder") + wrapper.describe()
                + (orphans != null ? " + " + orphans.mechanism() : "");
    }

    /**
     * @param argv the words run: the wrapper and the resolved program
     * @param program what posix_spawn execs: the first program in front, or the command's own
     * @param nativeArgv the words posix_spawn passes: {@code argv}, or (without a wrapper) the
     *     command as written, whose first word a shell would pass too
     * @param deathSignal the program in front sets the parent-death signal: started on the launcher thread
     * @param target the command's own program, resolved
     * @param spawn the posix_spawn call, ready to go; null with ProcessBuilder, and with
     *     timestamps (the pipes are new at every start)
     */
    private record Command(List<String> argv, Path program, List<String> nativeArgv, Map<String, String> env,
                           Path workingDir, Output output, boolean deathSignal, Path target, PosixSpawn.Template spawn)
            implements Prepared {
    }

    @Override
    public Prepared prepare(Path program, List<String> argv, Map<String, String> env, Path workingDir, Path logFile) {
        return prepare(program, argv, env, workingDir, Output.merged(logFile), RunAs.INHERIT);
    }

    @Override
    public Prepared prepare(Path program, List<String> argv, Map<String, String> env, Path workingDir, Output output,
                            RunAs runAs) {
        List<String> front = wrapper.words(runAs);
        List<String> words = new ArrayList<>(front);
        words.add(program.toString());
        words.addAll(argv.subList(1, argv.size()));
        // Without a wrapper, argv[0] is the command as written, as a shell would pass it; with
        // one (setpriv ... -- /resolved/program args), the wrapper execs the resolved path.
        List<String> nativeArgv = new ArrayList<>(words);
        if (front.isEmpty()) {
            nativeArgv.set(0, argv.get(0));
        }
        Path exe = front.isEmpty() ? program : Path.of(front.get(0));
        PosixSpawn.Template template = reaper != null && !output.timestamps()
                ? PosixSpawn.template(exe, nativeArgv, env, workingDir, output.stdout(), output.stderr().orElse(null)) : null;
        return new Command(List.copyOf(words), exe, List.copyOf(nativeArgv), Map.copyOf(env), workingDir, output,
                wrapper.deathSignal(), program, template);
    }

    @Override
    public CompletionStage<Started> start(Prepared prepared) {
        Command command = (Command) prepared;
        if (reaper != null && (!command.deathSignal() || io.procpool.internal.Threads.outlivesItsChildren())) {
            // posix_spawn returns as soon as the child exists (a few hundred microseconds), so it
            // runs on the caller's thread: a hop to the launcher thread cost more than the call on
            // the path from a crash to serving again. With a parent-death signal only on the
            // instances' own thread, which outlives every actor on it and so every child they
            // started: the kernel signals the children when the thread that started them ends,
            // and other dispatchers' threads end when idle.
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
        int pid = command.spawn() != null ? PosixSpawn.spawn(command.spawn()) : spawnPiped(command);
        // The child is mid-exec when posix_spawn returns here (the kernel lets the parent go on at
        // the exec's point of no return), and this thread, just woken, takes the core back: on
        // the path from a crash to serving, the restart's bookkeeping then ran before the child's
        // exec, 0.85 to 1.3 ms from the clone to the exec instead of 0.43 ms (bench/analysis.md,
        // "Fifth pass"). One sched_yield lets the child run first.
        Thread.yield();
        Optional<Instant> started = ProcessTable.startInstant(pid);
        return new Started(pid, started, reaper.watch(pid));
    }

    /** posix_spawn with stdout and stderr on pipes to the output pump. */
    private int spawnPiped(Command command) {
        OutputPump pump = pump();
        Output output = command.output();
        OutputPump.Pipe out = pump.pipe(output.stdout());
        OutputPump.Pipe err = null;
        try {
            err = output.stderr().map(pump::pipe).orElse(null);
            int pid = PosixSpawn.spawn(PosixSpawn.template(command.program(), command.nativeArgv(), command.env(),
                    command.workingDir(), out.writeFd(), err != null ? err.writeFd() : out.writeFd()));
            out.started();
            if (err != null) {
                err.started();
            }
            return pid;
        } catch (RuntimeException e) {
            out.cancel();
            if (err != null) {
                err.cancel();
            }
            throw e;
        }
    }

    private synchronized OutputPump pump() {
        if (pump == null) {
            pump = OutputPump.open();
        }
        return pump;
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
        Output output = command.output();
        ProcessBuilder pb = new ProcessBuilder(command.argv())
                .directory(command.workingDir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (output.timestamps()) {
            pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(output.stdout().toFile()));
        }
        if (output.stderr().isEmpty()) {
            pb.redirectErrorStream(true);
        } else if (!output.timestamps()) {
            pb.redirectError(ProcessBuilder.Redirect.appendTo(output.stderr().get().toFile()));
        }
        pb.environment().clear();
        pb.environment().putAll(command.env());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new LaunchException("cannot start " + command.target() + ": " + e.getMessage(), false, e);
        }
        if (output.timestamps()) {
            // The fallback's way: a thread per stream (the JDK hands out streams, not descriptors).
            StreamCopier.start(process.getInputStream(), output.stdout(), process.pid());
            output.stderr().ifPresent(err -> StreamCopier.start(process.getErrorStream(), err, process.pid()));
        }
        // The JDK reaps it: its start time can be read from /proc until the exit future completes.
        Optional<Instant> started = ProcessTable.startInstant(process.pid());
        return new Started(process.pid(), started, process.onExit().thenApply(p -> new ExitStatus(p.exitValue())));
    }

    @Override
    public boolean signalGroup(long pgid, Signal signal) {
        boolean group = Posix.killGroup(pgid, signal.number());
        if (orphans != null) {
            signalOutsideGroup(pgid, signal.number());
        }
        return group;
    }

    /**
     * Under a subreaper, an instance's processes are its session, not only its group: those that
     * left the group with {@code setpgid} (GNU {@code timeout}, a shell with job control) get the
     * signal too, whether its leader still runs or not. Read from {@code /proc} at the moment of
     * the signal, not from a sweep's memory, so that a stop reaches one that left a moment ago.
     * What it does NOT rule out: a process that exits and is reaped, and whose pid the kernel
     * hands to a stranger, between the reading and the {@code kill} (microseconds, and only when
     * the pid numbers wrap around meanwhile).
     */
    private static void signalOutsideGroup(long session, int signal) {
        try {
            for (long pid : ProcessTable.outsideGroupInSession(session)) {
                LibC.C.kill((int) pid, signal);
            }
        } catch (IOException e) {
            log.warn("cannot read the processes of session {} to signal them: {}", session, e.toString());
        }
    }

    @Override
    public boolean signal(long pid, Signal signal) {
        return Posix.kill(pid, signal.number());
    }

    @Override
    public boolean groupAlive(long pgid) {
        if (orphans == null) {
            return Posix.groupExists(pgid);
        }
        // The session, as for the signal: one /proc pass per call, so never on a per-probe path
        // (the callers are the stop's and the exit's, and the registry's recheck after an exit).
        return pgid > 1 && !surelyEnded(pgid) && ProcessTable.hasLiveMemberOfGroupOrSession(pgid);
    }

    /**
     * True when instance {@code pgid} (its leader's pid, its group's and its session's id) has no
     * process left, known without reading every process's {@code /proc/PID/stat}: its leader is
     * gone (reaped), its group is empty, and this JVM has adopted no process. Why that is enough:
     * a live process of the session descends from the leader, so the chain of its living
     * ancestors ends at a child of this JVM; with the leader gone, that child is one the kernel
     * handed to this JVM as the subreaper (or PID 1): an adopted one. (Another instance, or a
     * child of the JDK's, is never an ancestor of this instance's processes.) When anything is
     * uncertain (a child being adopted, another instance's orphan not yet reaped) the answer is
     * false and the caller reads {@code /proc}. The pass this saves was on the path from a crash
     * to the restart, on the instances' one thread and again on the state file's: 3 ms with 200
     * processes on the machine (crash to serving p50 6.2 ms against the C floor's 1.6 ms), 10 ms
     * and more beside a pool of 500.
     */
    private boolean surelyEnded(long pgid) {
        return !Posix.processExists(pgid) && !Posix.groupHasProcess(pgid) && orphans.adoptedNone();
    }

    @Override
    public boolean groupAliveAfterExit(long pgid, long exitSeenNanos) {
        if (orphans == null) {
            return Posix.groupExists(pgid); // one kill(2) when the group is gone, as it usually is
        }
        return pgid > 1 && !surelyEnded(pgid) && ProcessTable.hasLiveMemberOfGroupOrSession(pgid, exitSeenNanos);
    }

    @Override
    public boolean groupKnownGoneAfterExit(long pgid, long exitSeenNanos) {
        if (orphans == null || pgid <= 1) {
            return !groupAliveAfterExit(pgid, exitSeenNanos); // one kill(2), nothing to wait for
        }
        return surelyEnded(pgid) || ProcessTable.knownGone(pgid, exitSeenNanos);
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
        synchronized (this) {
            if (pump != null) {
                pump.close();
            }
        }
        if (reaper != null) {
            reaper.close();
        }
    }

    /** What this JVM adopts; null when it adopts nothing (tests sweep it themselves). */
    Orphans orphans() {
        return orphans;
    }
}
