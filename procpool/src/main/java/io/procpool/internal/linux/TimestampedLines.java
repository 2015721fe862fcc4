package io.procpool.internal.linux;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Prefixes each line of a byte stream with the time its first bytes were read, such as
 * {@code 2026-12-05T10:02:11.532Z } (ISO-8601, UTC, milliseconds, as PM2 writes it). A line that
 * arrives in pieces is written as it comes, the prefix once at its start; bytes are passed on as
 * they are (no decoding). Not thread-safe: one per stream.
 */
final class TimestampedLines {

    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX")
            .withZone(ZoneOffset.UTC);

    /** The prefix of the current line has been written and its newline not yet. */
    private boolean midLine;
    /** The last prefix made, and the millisecond it is for: lines come many to a millisecond. */
    private long prefixMillis = Long.MIN_VALUE;
    private byte[] prefix;

    /** What to write for {@code n} bytes of {@code data} read at {@code now}. */
    byte[] feed(byte[] data, int n, Instant now) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(n + 64);
        int start = 0;
        while (start < n) {
            if (!midLine) {
                byte[] prefix = prefix(now);
                out.write(prefix, 0, prefix.length);
                midLine = true;
            }
            int end = start;
            while (end < n && data[end] != '\n') {
                end++;
            }
            if (end < n) {
                end++; // the newline goes with its line
                midLine = false;
            }
            out.write(data, start, end - start);
            start = end;
        }
        return out.toByteArray();
    }

    private byte[] prefix(Instant now) {
        long millis = now.toEpochMilli();
        if (millis != prefixMillis) {
            prefix = (FORMAT.format(now) + " ").getBytes(StandardCharsets.US_ASCII);
            prefixMillis = millis;
        }
        return prefix;
    }
}
