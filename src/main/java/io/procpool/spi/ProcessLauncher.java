package io.procpool.spi;

import io.procpool.internal.process.OsProcessLauncher;

import java.util.concurrent.CompletionStage;

/**
 * Starts child processes: the one seam between the actors and the operating system's process
 * table. The real implementation is {@link OsProcessLauncher}; tests and simulations hand in
 * scripted ones.
 *
 * <p>Contract: {@link #launch} never blocks its caller (an actor); the work happens elsewhere and
 * the stage completes with the started process, or exceptionally with a {@link LaunchException}
 * whose message is fit for a person ("command not found: dotnet-script"). What it does NOT
 * guarantee: that the process is serving, or even still alive, when the stage completes.
 */
public interface ProcessLauncher {

    /** Starts the process described by {@code spec}. */
    CompletionStage<ChildProcess> launch(LaunchSpec spec);
}
