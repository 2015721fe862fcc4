package io.procpool.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.LogSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFilesTest {

    @TempDir
    Path dir;

    @Test
    void leavesAFileUnderItsCapAlone() throws Exception {
        Path log = dir.resolve("a.log");
        Files.writeString(log, "x".repeat(100));
        assertFalse(LogFiles.rotateIfOver(log, new LogSettings(100, 3)));
        assertEquals(100, Files.size(log));
    }

    @Test
    void rotatesShiftingOlderFilesAndDroppingTheOldest() throws Exception {
        Path log = dir.resolve("a.log");
        LogSettings s = new LogSettings(10, 2);
        for (String content : List.of("first-run-xx", "second-run-x", "third-run-xx")) {
            Files.writeString(log, content);
            assertTrue(LogFiles.rotateIfOver(log, s));
            assertEquals(0, Files.size(log));
        }
        assertEquals("ird-run-xx", Files.readString(LogFiles.rotated(log, 1)));
        assertEquals("cond-run-x", Files.readString(LogFiles.rotated(log, 2)));
        assertFalse(Files.exists(LogFiles.rotated(log, 3)));
    }

    @Test
    void keepZeroOnlyTruncates() throws Exception {
        Path log = dir.resolve("a.log");
        Files.writeString(log, "y".repeat(50));
        assertTrue(LogFiles.rotateIfOver(log, new LogSettings(10, 0)));
        assertEquals(0, Files.size(log));
        assertFalse(Files.exists(LogFiles.rotated(log, 1)));
    }

    @Test
    void tailReturnsTheLastLines() throws Exception {
        Path log = dir.resolve("a.log");
        Files.writeString(log, "one\ntwo\nthree\nfour\n");
        assertEquals(List.of("three", "four"), LogFiles.tail(log, 2, 1 << 20));
        assertEquals(List.of("one", "two", "three", "four"), LogFiles.tail(log, 10, 1 << 20));
        assertEquals(List.of("four"), LogFiles.tail(log, 10, 8), "a partial first line is dropped");
        assertEquals(List.of(), LogFiles.tail(dir.resolve("none.log"), 5, 100));
    }

    @Test
    void readAfterGivesTheCompleteLinesAfterAnOffsetAndWhereToGoOn() throws Exception {
        Path log = dir.resolve("a.log");
        Files.writeString(log, "one\ntwo\nthr");
        LogFiles.Read tail = LogFiles.readTail(log, 1, 1 << 20);
        assertEquals(List.of("two"), tail.lines(), "a line still being written is not in the tail either");
        assertEquals(8, tail.end(), "the tail ends after its last complete line");
        LogFiles.Read first = LogFiles.readAfter(log, 4, 1 << 20);
        assertEquals(List.of("two"), first.lines(), "a line still being written waits for its newline");
        assertEquals(8, first.end());
        Files.writeString(log, "ee\nfour\n", java.nio.file.StandardOpenOption.APPEND);
        LogFiles.Read next = LogFiles.readAfter(log, first.end(), 1 << 20);
        assertEquals(List.of("three", "four"), next.lines());
        assertEquals(Files.size(log), next.end());
        assertEquals(new LogFiles.Read(List.of(), next.end()), LogFiles.readAfter(log, next.end(), 1 << 20), "nothing new");
    }

    @Test
    void readAfterStartsOverInAFileThatARotationCut() throws Exception {
        Path log = dir.resolve("a.log");
        Files.writeString(log, "x".repeat(40) + "\n");
        assertTrue(LogFiles.rotateIfOver(log, new LogSettings(10, 1)));
        Files.writeString(log, "after\n", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(new LogFiles.Read(List.of("after"), 6), LogFiles.readAfter(log, 41, 1 << 20));
        assertEquals(new LogFiles.Read(List.of(), 0), LogFiles.readAfter(dir.resolve("none.log"), 41, 1 << 20));
    }

    @Test
    void readAfterHandsOutAtMostMaxBytesOfWholeLines() throws Exception {
        Path log = dir.resolve("a.log");
        Files.writeString(log, "aaa\nbbb\nccc\n");
        LogFiles.Read part = LogFiles.readAfter(log, 0, 10);
        assertEquals(List.of("aaa", "bbb"), part.lines());
        assertEquals(List.of("ccc"), LogFiles.readAfter(log, part.end(), 10).lines());
        assertEquals(List.of("aaa"), LogFiles.readAfter(log, 0, 3).lines(), "a line longer than maxBytes comes in pieces");
    }

    @Test
    void stderrHasAFileBesideTheLog() {
        assertEquals(Path.of("logs/search-8000.err.log"), LogFiles.errorLog(Path.of("logs/search-8000.log")));
    }
}
