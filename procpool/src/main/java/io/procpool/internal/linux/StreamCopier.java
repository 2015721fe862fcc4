package io.procpool.internal.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Timestamped output under ProcessBuilder, the fallback where posix_spawn or pidfds are missing:
 * the JDK hands out a child's pipe as a stream, not a descriptor an {@link OutputPump} could
 * watch, so each such stream gets a thread of its own, which ends at the stream's end.
 */
final class StreamCopier {

    private static final Logger log = LoggerFactory.getLogger(StreamCopier.class);

    private StreamCopier() {
    }

    /** Copies {@code in} to {@code file}, each line timestamped, on a new thread. */
    static void start(InputStream in, Path file, long pid) {
        io.procpool.internal.Threads.daemon(() -> copy(in, file), "procpool-output-" + pid).start();
    }

    private static void copy(InputStream in, Path file) {
        TimestampedLines lines = new TimestampedLines();
        byte[] buf = new byte[64 * 1024];
        try (in; FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                ByteBuffer bytes = ByteBuffer.wrap(lines.feed(buf, n, Instant.now()));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
            }
        } catch (IOException e) {
            log.debug("copying output to {}: {}", file, e.toString());
        }
    }
}
