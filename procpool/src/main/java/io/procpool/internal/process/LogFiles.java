package io.procpool.internal.process;

import io.procpool.config.LogSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Size-based rotation of captured output, and reading its tail.
 *
 * <p>A child writes its log file directly (unless its lines are timestamped: then procpool copies
 * them from a pipe, and appends the same way) (opened in append mode when it was started), so the
 * manager is never in the data path and a child never blocks on an undrained pipe, even when the
 * manager is busy or gone. The price is that rotation has to copy and truncate
 * ("copytruncate"): the current content is copied to {@code .1} and the live file is cut to zero,
 * and the child's next append lands at the new start. Output written between the copy and the
 * cut (microseconds) is lost; that is documented, and the same trade logrotate makes.
 */
public final class LogFiles {

    private LogFiles() {
    }

    /** The log file of the instance of {@code service} on {@code port}: {@code logDir/SERVICE-PORT.log}, the one naming rule. */
    public static Path of(Path logDir, String service, int port) {
        return logDir.resolve(service + "-" + port + ".log");
    }

    /**
     * The file of stderr beside the log file {@code log}, when it has one of its own
     * ({@code log.stderr = separate}): {@code search-8000.log} has {@code search-8000.err.log}.
     */
    public static Path errorLog(Path log) {
        String name = log.getFileName().toString();
        String base = name.endsWith(".log") ? name.substring(0, name.length() - 4) : name;
        return log.resolveSibling(base + ".err.log");
    }

    /** The rotated file number {@code n} of {@code log}: {@code search-8000.log.1}. */
    public static Path rotated(Path log, int n) {
        return log.resolveSibling(log.getFileName() + "." + n);
    }

    /**
     * Rotates {@code log} if it is larger than {@code settings.maxSize()}: shifts {@code .1..}
     * up by one (dropping the oldest), copies the last {@code maxSize} bytes of the live file to
     * {@code .1} and truncates the live file.
     *
     * @return true when it rotated
     */
    public static boolean rotateIfOver(Path log, LogSettings settings) throws IOException {
        long size;
        try {
            size = Files.size(log);
        } catch (NoSuchFileException e) {
            return false;
        }
        if (size <= settings.maxSize()) {
            return false;
        }
        if (settings.keep() > 0) {
            Files.deleteIfExists(rotated(log, settings.keep()));
            for (int i = settings.keep() - 1; i >= 1; i--) {
                Path from = rotated(log, i);
                if (Files.exists(from)) {
                    Files.move(from, rotated(log, i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            copyTail(log, rotated(log, 1), settings.maxSize());
        }
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
        return true;
    }

    private static void copyTail(Path from, Path to, long maxBytes) throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = in.size();
            long start = Math.max(0, size - maxBytes);
            long pos = start;
            while (pos < size) {
                long n = in.transferTo(pos, size - pos, out);
                if (n <= 0) {
                    break;
                }
                pos += n;
            }
        }
    }

    /**
     * Lines read from a log, and where the next read should begin.
     *
     * @param lines the lines, oldest first
     * @param end the byte offset after what was read
     */
    public record Read(List<String> lines, long end) {
    }

    /**
     * The last {@code lines} lines of {@code log} (reading at most {@code maxBytes} from its end);
     * empty when the file does not exist.
     */
    public static List<String> tail(Path log, int lines, long maxBytes) throws IOException {
        return readTail(log, lines, maxBytes).lines();
    }

    /**
     * The last {@code lines} lines of {@code log} (reading at most {@code maxBytes} from its end)
     * and its size then; nothing and 0 when the file does not exist.
     */
    public static Read readTail(Path log, int lines, long maxBytes) throws IOException {
        if (!Files.exists(log)) {
            return new Read(List.of(), 0);
        }
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            long size = ch.size();
            if (lines <= 0) {
                return new Read(List.of(), size);
            }
            int len = (int) Math.min(size, maxBytes);
            ByteBuffer buf = ByteBuffer.allocate(len);
            ch.read(buf, size - len);
            // Complete lines only, as readAfter hands out: a line still being written is left for
            // the next read, so that a follower that goes on from `end` never prints it in two pieces.
            int complete = buf.position();
            while (complete > 0 && buf.array()[complete - 1] != '\n') {
                complete--;
            }
            String text = new String(buf.array(), 0, complete, java.nio.charset.StandardCharsets.UTF_8);
            Deque<String> out = new ArrayDeque<>();
            String[] all = text.split("\n", -1);
            int last = all.length - 2; // the piece after the last newline is empty
            // The first piece may be a partial line when we started reading mid-file.
            int first = len < size ? 1 : 0;
            for (int i = last; i >= first && out.size() < lines; i--) {
                out.addFirst(all[i]);
            }
            return new Read(new ArrayList<>(out), size - len + complete);
        }
    }

    /**
     * The complete lines of {@code log} after byte {@code offset}, at most {@code maxBytes} of
     * them, and the offset after the last one (a line still being written waits for its newline).
     * A file shorter than {@code offset} was cut by a rotation: it is read from its start. Nothing
     * (and offset 0) when the file does not exist.
     */
    public static Read readAfter(Path log, long offset, long maxBytes) throws IOException {
        if (!Files.exists(log)) {
            return new Read(List.of(), 0);
        }
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            long size = ch.size();
            long from = offset > size || offset < 0 ? 0 : offset;
            int len = (int) Math.min(size - from, maxBytes);
            ByteBuffer buf = ByteBuffer.allocate(len);
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                // read until the buffer is full or the file ends
            }
            byte[] bytes = buf.array();
            int complete = buf.position();
            while (complete > 0 && bytes[complete - 1] != '\n') {
                complete--;
            }
            if (complete == 0 && len == maxBytes && len > 0) {
                complete = len; // a single line longer than maxBytes: hand it out in pieces
            }
            List<String> lines = new ArrayList<>();
            String text = new String(bytes, 0, complete, java.nio.charset.StandardCharsets.UTF_8);
            if (!text.isEmpty()) {
                String[] all = text.split("\n", -1);
                int last = text.endsWith("\n") ? all.length - 1 : all.length;
                lines.addAll(List.of(all).subList(0, last));
            }
            return new Read(lines, from + complete);
        }
    }
}
