package io.procpool.config;

/**
 * An instance's captured output: where stderr goes, whether lines are timestamped, and the
 * size-based rotation of the files.
 *
 * @param maxSize the size in bytes past which a live log file is rotated
 * @param keep how many rotated files ({@code .1} .. {@code .keep}) are kept; 0 keeps none
 * @param stderr whether stderr goes to the same file as stdout or to one of its own
 * @param timestamps each line is prefixed with the time procpool read it (ISO-8601, UTC); the
 *     output then goes through a pipe that procpool reads, instead of straight to the file
 */
public record LogSettings(long maxSize, int keep, Stderr stderr, boolean timestamps) {

    /** Where an instance's stderr goes ({@code log.stderr}). */
    public enum Stderr {
        /** Into the same file as stdout, {@code SERVICE-PORT.log}, interleaved as written. */
        MERGED,
        /** Into a file of its own, {@code SERVICE-PORT.err.log}, rotated the same way. */
        SEPARATE
    }

    /** Rotation only: stderr merged into stdout, no timestamps (the defaults). */
    public LogSettings(long maxSize, int keep) {
        this(maxSize, keep, Stderr.MERGED, false);
    }

    /** True when stderr has a file of its own. */
    public boolean separateStderr() {
        return stderr == Stderr.SEPARATE;
    }
}
