package io.procpool.internal.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** argv and the environment as posix_spawn gets them: one native table each. */
class PosixSpawnTest {

    @TempDir
    Path dir;

    @Test
    void aStringTableReadsBackAsWritten() {
        String[] strings = {"/usr/bin/env", "", "grüße", "A=b=c", "last"};
        Memory table = PosixSpawn.stringTable(strings);
        assertArrayEquals(strings, table.getStringArray(0, "UTF-8"));
        assertEquals(0, PosixSpawn.stringTable(new String[0]).getStringArray(0, "UTF-8").length);
    }

    @Test
    void aSpawnedProcessGetsItsArgumentsAndEnvironmentAsGiven() throws Exception {
        assumeTrue(PosixSpawn.available(), "posix_spawn with addclosefrom_np (glibc 2.34+)");
        Path out = dir.resolve("out.log");
        PosixSpawn.Template t = PosixSpawn.template(Path.of("/bin/sh"),
                List.of("sh", "-c", "printf '%s|%s|%s' \"$1\" \"$2\" \"$GREETING\"", "sh", "ärg ument", ""),
                Map.of("GREETING", "grüße, welt", "PATH", "/usr/bin:/bin"), dir, out, null);
        int pid = PosixSpawn.spawn(t);
        int[] status = new int[1];
        assertEquals(pid, LibC.C.waitpid(pid, status, 0), "reaped"); // it runs for a moment only
        assertEquals(0, status[0], "exit status 0");
        assertEquals("ärg ument||grüße, welt", Files.readString(out, StandardCharsets.UTF_8));
    }
}
