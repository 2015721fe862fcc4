package io.procpool.spi;

import io.procpool.api.ExitStatus;
import io.procpool.config.RunAs;
import io.procpool.config.Signal;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * What procpool needs from the operating system beyond the JDK, in one place: starting a child as
 * the leader of its own session and process group, learning of its exit, signalling its group,
 * telling whether a group still has a living member, telling a process from a stranger that
 * reused its pid, scanning the process table, sampling what groups cost, and hearing of writes
 * to the log directory. Everything else (the state dir and its lock, the state file, orphan
 * reaping, log rotation, the children's registry) is built on these, once, for every platform.
 *
 * <p>procpool's implementation is Linux's ({@code posix_spawn}, pidfds, {@code /proc}, inotify);
 * another operating system, or a container with other rules, is one more implementation handed to
 * {@code ProcessPool.builder(config).platform(...)}.
 *
 * <p>Contract: thread-safe; no method blocks longer than the system calls it names, except those
 * documented to read the process table, which read files ({@link #carrying}, {@link #usage}). What
 * it does NOT guarantee: that a group signalled has obeyed (ask {@link #groupAlive}), or that a
 * process found by {@link #carrying} is still there when it is signalled.
 */
public interface Platform extends AutoCloseable {

    /** How children are started and reaped here, for the log ("posix_spawn + pidfd"). */
    String mechanism();

    /** A command prepared once to be started again and again: program, arguments, environment, directory, output. */
    interface Prepared {
    }

    /**
     * Prepares the start of {@code program}.
     *
     * @param argv the arguments as the command wrote them, the command's first word first
     * @param env the whole environment of the child
     * @param logFile where its stdout and stderr are appended
     * @throws LaunchException when it cannot be started at all (permanent)
     */
    Prepared prepare(Path program, List<String> argv, Map<String, String> env, Path workingDir, Path logFile);

    /**
     * Where a child's output goes.
     *
     * @param stdout the file stdout is appended to, and stderr too when {@code stderr} is empty
     * @param stderr the file stderr is appended to, when it has one of its own
     * @param timestamps each line is prefixed with the time it was read (ISO-8601, UTC): the child
     *     then writes into a pipe that the platform reads and copies to the file
     */
    record Output(Path stdout, Optional<Path> stderr, boolean timestamps) {

        /** Both streams straight into {@code file}, as {@link #prepare(Path, List, Map, Path, Path)} does. */
        public static Output merged(Path file) {
            return new Output(file, Optional.empty(), false);
        }
    }

    /**
     * Prepares the start of {@code program} with its output as {@code output} says, as the user,
     * group and umask of {@code runAs} (switched in the child, before the program runs). A
     * platform that cannot do all of that throws; this default does only the plain case.
     *
     * @throws LaunchException when it cannot be started at all, or not this way (permanent)
     */
    default Prepared prepare(Path program, List<String> argv, Map<String, String> env, Path workingDir, Output output,
                             RunAs runAs) {
        if (output.stderr().isPresent() || output.timestamps() || !runAs.inherits()) {
            throw new LaunchException(mechanism() + " cannot switch user, group or umask, nor give stderr a file of its own "
                    + "or timestamp the output", true);
        }
        return prepare(program, argv, env, workingDir, output.stdout());
    }

    /**
     * A started child.
     *
     * @param pid its pid, which is also its process group and session id
     * @param startTime when it started, as the operating system reports it (read before the child
     *     could have been reaped)
     * @param exit completes once it has exited and been reaped; never exceptionally
     */
    record Started(long pid, Optional<Instant> startTime, CompletionStage<ExitStatus> exit) {
    }

    /**
     * Starts a prepared command as the leader of a new session and process group, stdin on
     * {@code /dev/null}. Completes on the caller's thread when the start is a quick system call,
     * or later from a thread of the platform's own when it is not; exceptionally with a
     * {@link LaunchException} whose message is fit for a person.
     */
    CompletionStage<Started> start(Prepared command);

    /**
     * Sends {@code signal} to every process in group {@code pgid}; false when the group does not
     * exist. A platform that adopts orphans may reach more: the Linux one, as a subreaper, also
     * every process of the session {@code pgid} leads.
     */
    boolean signalGroup(long pgid, Signal signal);

    /** Sends {@code signal} to the single process {@code pid}; false when it does not exist. */
    boolean signal(long pid, Signal signal);

    /**
     * True while group {@code pgid} has a member that is not a zombie (or, where
     * {@link #signalGroup} reaches the session {@code pgid} leads, that session).
     */
    boolean groupAlive(long pgid);

    /**
     * As {@link #groupAlive}, for a group whose leader's exit was seen at {@code exitSeenNanos}
     * ({@link System#nanoTime}): a platform may answer "no" from a look it took after that moment,
     * shared with other such questions (a group without a live member never gets one again), while
     * a "yes" is as of this call. What stopping many instances at once asks, once per instance.
     */
    default boolean groupAliveAfterExit(long pgid, long exitSeenNanos) {
        return groupAlive(pgid);
    }

    /**
     * For a poll after the leader's exit (seen at {@code exitSeenNanos}): true when group
     * {@code pgid} is known to be gone, without waiting to find out; false while it is alive and
     * also while the platform does not know yet (it may start finding out, and the caller asks
     * again). The default asks {@link #groupAliveAfterExit}. The Linux platform under a subreaper
     * answers from a {@code /proc} pass taken on a thread of its own, so that stopping thousands of
     * instances does not hold their thread on reads of {@code /proc}.
     */
    default boolean groupKnownGoneAfterExit(long pgid, long exitSeenNanos) {
        return !groupAliveAfterExit(pgid, exitSeenNanos);
    }

    /**
     * A process as the operating system describes it: enough to tell it from a stranger that got
     * its pid later.
     *
     * @param pgrp its process group
     * @param started when it started
     * @param live not a zombie
     */
    record ProcessInfo(long pid, long pgrp, Instant started, boolean live) {
    }

    /** The process {@code pid}, if there is one. */
    Optional<ProcessInfo> process(long pid);

    /** Every process whose environment holds {@code entry} ({@code NAME=VALUE}). Reads the process table. */
    Map<Long, ProcessInfo> carrying(String entry) throws IOException;

    /** What each of {@code groups} costs now (a group with no live member is absent). Reads the process table. */
    Map<Long, ProcessUsage> usage(Collection<Long> groups);

    /** A watch of a directory's writes; {@link #close} ends it. */
    interface WriteWatch extends AutoCloseable {
        /** Watches the directory again (it may have been removed and made anew since). */
        void renew();

        @Override
        void close();
    }

    /**
     * Hears of the files written in {@code dir}, in rounds at least {@code period} apart, on a
     * thread of the platform's own: {@code written} gets the names written in a round, or empty
     * when the platform lost track of them (then every file may have been written).
     */
    WriteWatch watchWrites(Path dir, Duration period, Consumer<Optional<Set<Path>>> written) throws IOException;

    /** Releases what the platform holds (threads, descriptors). Children are not touched. */
    @Override
    void close();
}
