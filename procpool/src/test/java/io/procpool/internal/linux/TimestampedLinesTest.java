package io.procpool.internal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimestampedLinesTest {

    private static final Instant T1 = Instant.parse("2026-12-05T10:02:11.532Z");
    private static final Instant T2 = Instant.parse("2026-12-05T10:02:12Z");

    private static String feed(TimestampedLines lines, String text, Instant at) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new String(lines.feed(bytes, bytes.length, at), StandardCharsets.UTF_8);
    }

    @Test
    void prefixesEveryLineWithTheTimeItWasRead() {
        assertEquals("2026-12-05T10:02:11.532Z one\n2026-12-05T10:02:11.532Z two\n",
                feed(new TimestampedLines(), "one\ntwo\n", T1));
    }

    @Test
    void aLineInPiecesGetsOnePrefixWithTheTimeOfItsFirstPiece() {
        TimestampedLines lines = new TimestampedLines();
        assertEquals("2026-12-05T10:02:11.532Z hal", feed(lines, "hal", T1));
        assertEquals("f\n2026-12-05T10:02:12.000Z next", feed(lines, "f\nnext", T2));
    }

    @Test
    void emptyLinesAreLinesToo() {
        assertEquals("2026-12-05T10:02:11.532Z \n2026-12-05T10:02:11.532Z x\n", feed(new TimestampedLines(), "\nx\n", T1));
    }

    @Test
    void onlyTheGivenLengthIsRead() {
        byte[] buf = "ab\ncd\n".getBytes(StandardCharsets.UTF_8);
        assertEquals("2026-12-05T10:02:11.532Z ab\n", new String(new TimestampedLines().feed(buf, 3, T1), StandardCharsets.UTF_8));
    }
}
