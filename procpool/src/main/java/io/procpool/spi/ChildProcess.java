package io.procpool.spi;

import io.procpool.api.ExitStatus;
import io.procpool.config.Signal;

import java.util.concurrent.CompletionStage;

/**
 * One running child process and the process group it leads.
 *
 * <p>The process is started as the leader of a new session and process group, so everything it
 * forks (a shell's children, a server's workers) shares its group, and {@link #signal} reaches
 * them all at once. What this does NOT guarantee: a descendant that deliberately leaves the group
 * (a daemon that calls {@code setsid} itself) is not reached, and a signal says nothing about
 * whether the group obeyed it: use {@link #onExit} and {@link #groupAlive} to find out.
 *
 * <p>Implementations are thread-safe; none of the methods blocks.
 */
public interface ChildProcess {

    /** The process id of the leader, which is also the process group id. */
    long pid();

    /**
     * Completes once the leader has exited and been reaped. Members of its group may still be
     * alive: see {@link #groupAlive}. Never completes exceptionally.
     */
    CompletionStage<ExitStatus> onExit();

    /** Sends {@code signal} to every process in the group. Does not wait; a gone group is not an error. */
    void signal(Signal signal);

    /** True while any process of the group (the leader included) is still alive. */
    boolean groupAlive();

    /**
     * For a poll: true when the whole group is known to be gone, false while it is alive and also
     * while that is not known yet (the caller polls again). Unlike {@link #groupAlive}, it may
     * answer without waiting for the operating system's process table. The default:
     * {@code !groupAlive()}.
     */
    default boolean groupKnownGone() {
        return !groupAlive();
    }
}
