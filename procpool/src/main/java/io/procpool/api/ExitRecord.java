package io.procpool.api;

import java.time.Instant;

/**
 * One past end of an instance's process.
 *
 * @param time when it was seen (wall clock, for people)
 * @param pid the process that ended
 * @param exit how it ended, when it ended by itself or by a signal
 * @param cause why, for people ("exited unexpectedly ...", "unhealthy: ...", "stop requested")
 */
public record ExitRecord(Instant time, long pid, ExitStatus exit, String cause) {
}
