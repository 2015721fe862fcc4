package io.procpool.internal.process;

import io.procpool.api.ExitStatus;
import io.procpool.config.Signal;
import io.procpool.spi.ChildProcess;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A real child process, leader of its own process group (see {@link ChildProcess}). */
final class OsChildProcess implements ChildProcess {

    private final long pid;
    private final Optional<Instant> startTime;
    private final CompletableFuture<ExitStatus> exit;
    private final ChildRegistry registry;
    /** Set once the leader is reaped and the group seen empty: its number may now be reused. */
    private volatile boolean gone;

    /**
     * @param startTime when it started, read before anything could reap it
     * @param exit completes once the leader has exited and been reaped
     * @param registry where the child is already recorded: a child that exits at once may
     *                 complete {@code exit} before this constructor returns, and must be found
     *                 there to be forgotten
     */
    OsChildProcess(long pid, Optional<Instant> startTime, CompletableFuture<ExitStatus> exit, ChildRegistry registry) {
        this.pid = pid;
        this.registry = registry;
        this.startTime = startTime;
        this.exit = exit;
        // The registry forgets a child only when its whole group is gone (see groupAlive), so a
        // manager killed while a group's remnants are still dying leaves a record behind.
        this.exit.thenRun(this::groupAlive);
    }

    /** A child the JDK started and reaps (recorded in the registry already). */
    static OsChildProcess of(Process process, Optional<Instant> startTime, ChildRegistry registry) {
        return new OsChildProcess(process.pid(), startTime, process.onExit().thenApply(p -> new ExitStatus(p.exitValue())), registry);
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public Optional<Instant> startTime() {
        return startTime;
    }

    @Override
    public CompletionStage<ExitStatus> onExit() {
        return exit;
    }

    @Override
    public void signal(Signal signal) {
        if (!gone && !Posix.killGroup(pid(), signal.number()) && !exit.isDone()) {
            // No group yet: under ProcessBuilder the child is still on its way through setsid,
            // so its group does not exist for a moment. The child itself does, and is not reaped.
            Posix.kill(pid(), signal.number());
        }
    }

    @Override
    public boolean groupAlive() {
        if (gone) {
            return false;
        }
        boolean alive = Posix.groupExists(pid());
        if (!alive && exit.isDone()) {
            // Never signal this number again: once free, the kernel may give it to a stranger.
            gone = true;
            registry.remove(pid());
        }
        return alive;
    }

    @Override
    public String toString() {
        return "pid " + pid();
    }
}
