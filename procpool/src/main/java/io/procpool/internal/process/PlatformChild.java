package io.procpool.internal.process;

import io.procpool.api.ExitStatus;
import io.procpool.config.Signal;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.Platform;
import java.util.concurrent.CompletionStage;

/** A real child process, leader of its own process group (see {@link ChildProcess}), on a {@link Platform}. */
final class PlatformChild implements ChildProcess {

    private final Platform platform;
    private final long pid;
    private final CompletionStage<ExitStatus> exit;
    private final ChildRegistry registry;
    /** Set once the leader is reaped and the group seen empty: its number may now be reused. */
    private volatile boolean gone;
    /** When the leader's exit was seen ({@link System#nanoTime}); null before. */
    private volatile Long exitSeen;

    /**
     * @param started the child as the platform started it
     * @param registry where the child is already recorded; it forgets the child once its whole
     *     group is gone (it is told of the leader's exit and looks for itself)
     */
    PlatformChild(Platform platform, Platform.Started started, ChildRegistry registry) {
        this.platform = platform;
        this.pid = started.pid();
        this.exit = started.exit();
        this.registry = registry;
        this.exit.thenRun(() -> {
            long seen = System.nanoTime(); // after the reaping: the leader is gone by then
            exitSeen = seen;
            registry.leaderExited(pid, seen);
        });
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
        if (!gone && !platform.signalGroup(pid, signal) && !exit.toCompletableFuture().isDone()) {
            // No group yet: under ProcessBuilder the child is still on its way through setsid,
            // so its group does not exist for a moment. The child itself does, and is not reaped.
            platform.signal(pid, signal);
        }
    }

    /** A query: it changes nothing but this child's own memory that its group is gone for good. */
    @Override
    public boolean groupAlive() {
        if (gone) {
            return false;
        }
        Long seen = exitSeen;
        boolean alive = seen != null ? platform.groupAliveAfterExit(pid, seen) : platform.groupAlive(pid);
        if (!alive && exit.toCompletableFuture().isDone()) {
            goneForGood();
        }
        return alive;
    }

    @Override
    public boolean groupKnownGone() {
        if (gone) {
            return true;
        }
        Long seen = exitSeen;
        if (seen == null) {
            return !groupAlive();
        }
        if (platform.groupKnownGoneAfterExit(pid, seen)) {
            goneForGood(); // the exit was seen, so the leader is reaped
            return true;
        }
        return false;
    }

    /**
     * Never signal this number again: once free, the kernel may give it to a stranger. The state
     * file's registry is told at once, so that a manager whose instances have all seen their
     * groups end also finds its registry empty as it exits (its own look, a poll, may be behind).
     */
    private void goneForGood() {
        gone = true;
        registry.groupGone(pid);
    }

    @Override
    public String toString() {
        return "pid " + pid;
    }
}
