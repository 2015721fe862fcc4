package io.procpool.api;

import java.nio.file.Path;
import java.util.List;

/**
 * The last lines of an instance's captured output.
 *
 * @param service the service
 * @param port the instance's port
 * @param file the log file they were read from
 * @param lines the lines, oldest first (empty when nothing was written yet)
 */
public record LogTail(String service, int port, Path file, List<String> lines) {

    /** Copies the lines: a tail is immutable. */
    public LogTail {
        lines = List.copyOf(lines);
    }
}
