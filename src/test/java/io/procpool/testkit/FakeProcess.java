package io.procpool.testkit;

import io.procpool.process.ChildProcess;
import io.procpool.process.ExitStatus;
import io.procpool.process.LaunchSpec;
import io.procpool.process.Signal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A child process that exists only in memory. By default it behaves like a well-mannered server:
 * it exits 0 on any polite stop signal and with 137 on SIGKILL. Tests script the rest: crash it,
 * make it ignore polite signals, or leave "children" behind that outlive it.
 */
public final class FakeProcess implements ChildProcess {

    private final long pid;
    private final LaunchSpec spec;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final List<Signal> signals = new CopyOnWriteArrayList<>();
    private volatile boolean ignorePoliteSignals;
    private volatile boolean remnants;

    FakeProcess(long pid, LaunchSpec spec) {
        this.pid = pid;
        this.spec = spec;
    }

    /** What it was started with. */
    public LaunchSpec spec() {
        return spec;
    }

    /** The process exits on its own with {@code code} (a crash when nobody asked it to stop). */
    public FakeProcess exit(int code) {
        exit.complete(new ExitStatus(code));
        return this;
    }

    /** From now on TERM, INT, QUIT and HUP are ignored; only SIGKILL ends it. */
    public FakeProcess ignorePoliteSignals() {
        ignorePoliteSignals = true;
        return this;
    }

    /** Its process group keeps members after it exits, until SIGKILL reaches the group. */
    public FakeProcess leaveRemnants() {
        remnants = true;
        return this;
    }

    /** The signals sent to its group, in order. */
    public List<Signal> signals() {
        return List.copyOf(signals);
    }

    public boolean alive() {
        return !exit.isDone();
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public Optional<Instant> startTime() {
        return Optional.empty();
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
        } else if (!ignorePoliteSignals) {
            exit.complete(new ExitStatus(0));
        }
    }

    @Override
    public boolean groupAlive() {
        return alive() || remnants;
    }

    @Override
    public String toString() {
        return "fake pid " + pid + " (" + spec.label() + ")";
    }
}
