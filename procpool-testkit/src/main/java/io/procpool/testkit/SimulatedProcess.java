package io.procpool.testkit;

import io.procpool.spi.ProbeResult;
import io.procpool.spi.ChildProcess;
import io.procpool.api.ExitStatus;
import io.procpool.spi.LaunchSpec;
import io.procpool.config.Signal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/**
 * A child process that exists only in memory. By default it behaves like a well-mannered server:
 * it exits 0 on any polite stop signal and with 137 on SIGKILL, keeps running on any other signal
 * (USR1, WINCH, ...: recorded, as by a process that handles them), and its probes succeed. A test
 * scripts the rest: crash it, make it ignore polite signals, leave "children" behind that outlive
 * it, script its probe answers, give it a CPU and memory load.
 *
 * <p>Thread-safe; every method returns at once.
 */
public final class SimulatedProcess implements ChildProcess {

    private final long pid;
    private final LaunchSpec spec;
    private final long launchedAtNanos;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final List<Signal> signals = new CopyOnWriteArrayList<>();
    private volatile boolean ignorePoliteSignals;
    private volatile boolean remnants;
    private volatile BiFunction<Integer, Duration, Optional<ProbeResult>> probes;
    private volatile double cpuCores;
    private volatile long rssBytes = 8L << 20;
    private int probed;

    SimulatedProcess(long pid, LaunchSpec spec, long launchedAtNanos) {
        this.pid = pid;
        this.spec = spec;
        this.launchedAtNanos = launchedAtNanos;
    }

    /** What it was started with: service, port, command, environment. */
    public LaunchSpec spec() {
        return spec;
    }

    /** When it was started, in the launcher's clock (virtual time in a {@link Simulation}). */
    public long launchedAtNanos() {
        return launchedAtNanos;
    }

    /** The process exits on its own with {@code code} (a crash, when nobody asked it to stop). */
    public SimulatedProcess exit(int code) {
        exit.complete(new ExitStatus(code));
        return this;
    }

    /** From now on TERM, INT, QUIT and HUP are ignored; only SIGKILL ends it. */
    public SimulatedProcess ignorePoliteSignals() {
        ignorePoliteSignals = true;
        return this;
    }

    /** Its process group keeps members after it exits, until SIGKILL reaches the group. */
    public SimulatedProcess leaveRemnants() {
        remnants = true;
        return this;
    }

    /**
     * Its probes are answered by {@code script}: given the probe's number (from 1) and the
     * process's age, a result, or empty for a probe that never answers.
     */
    public SimulatedProcess probes(BiFunction<Integer, Duration, Optional<ProbeResult>> script) {
        this.probes = script;
        return this;
    }

    /** Its process tree uses {@code cpuCores} of CPU (1.0 = one core busy) and {@code rssBytes} of memory. */
    public SimulatedProcess load(double cpuCores, long rssBytes) {
        this.cpuCores = cpuCores;
        this.rssBytes = rssBytes;
        return this;
    }

    /** The signals sent to its group, in order (SIGCONT, which every stop also sends, is left out). */
    public List<Signal> signals() {
        return List.copyOf(signals);
    }

    public boolean alive() {
        return !exit.isDone();
    }

    double cpuCores() {
        return cpuCores;
    }

    long rssBytes() {
        return rssBytes;
    }

    /** The answer to its next probe by its own script, or null when it has none. */
    synchronized Optional<ProbeResult> probe(Duration age) {
        if (probes == null) {
            return null;
        }
        return probes.apply(++probed, age);
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public CompletionStage<ExitStatus> onExit() {
        return exit;
    }

    @Override
    public void signal(Signal signal) {
        if (signal == Signal.CONT) {
            return; // it was never stopped
        }
        signals.add(signal);
        if (signal == Signal.KILL) {
            remnants = false;
            exit.complete(new ExitStatus(128 + 9));
        } else if (!ignorePoliteSignals && Signal.STOP_SIGNALS.contains(signal)) {
            exit.complete(new ExitStatus(0));
        }
    }

    @Override
    public boolean groupAlive() {
        return alive() || remnants;
    }

    @Override
    public String toString() {
        return "simulated pid " + pid + " (" + spec.label() + ")";
    }
}
