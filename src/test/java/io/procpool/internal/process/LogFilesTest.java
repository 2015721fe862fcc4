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
    void stderrHasAFileBesideTheLog() {
        assertEquals(Path.of("logs/search-8000.err.log"), LogFiles.errorLog(Path.of("logs/search-8000.log")));
    }
}
