package io.procpool.spi;

import java.util.concurrent.CompletionStage;

/**
 * Starts child processes: the one seam between the actors and the operating system's process
 * table. procpool's own is the platform launcher (a {@link Platform} plus the state dir, the
 * state file, orphan reaping and log rotation); tests and simulations hand in scripted ones.
 *
 * <p>Contract: {@link #launch} does not wait on its caller's thread for anything slower than a
 * start itself: it may run a start that is one quick system call there (posix_spawn, a few hundred
 * microseconds), with the few single-call bookkeeping steps an implementation names in its own
 * contract; anything slower happens elsewhere. The stage completes with the started process, or
 * exceptionally with a {@link LaunchException} whose message is fit for a person ("command not
 * found: dotnet-script"). What it does NOT guarantee: that the process is serving, or even still
 * alive, when the stage completes.
 */
public interface ProcessLauncher {

    /** Starts the process described by {@code spec}. */
    CompletionStage<ChildProcess> launch(LaunchSpec spec);

    /**
     * Advance notice that {@code specs} are about to be launched, one after another (a service
     * starting, or scaled up): an implementation may do the first-time work of each off the
     * caller's thread now, so that the launches, which run one at a time, find it done. Returns
     * at once; does not launch anything, and a launch must not depend on it. The default does
     * nothing.
     */
    default void expect(java.util.Collection<LaunchSpec> specs) {
    }
}
