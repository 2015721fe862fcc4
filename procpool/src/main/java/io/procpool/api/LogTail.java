package io.procpool.api;

import java.nio.file.Path;
import java.util.List;

/**
 * Lines of an instance's captured output: its last ones, or those written after an offset.
 *
 * @param service the service
 * @param port the instance's port
 * @param file the log file they were read from
 * @param lines the lines, oldest first (empty when nothing was written yet)
 * @param end the byte offset in {@code file} where the next read should begin, for
 *     {@link Pool#logAfter}: following a log is asking again with the {@code end} of the last answer
 */
public record LogTail(String service, int port, Path file, List<String> lines, long end) {

    /** Copies the lines: a tail is immutable. */
    public LogTail {
        lines = List.copyOf(lines);
    }
}
