package io.procpool.internal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The one reader of /proc/PID/stat, checked against what the JDK says of the same processes. */
class ProcessTableTest {

    @Test
    void aLiveProcessIsReadAsTheJdkSeesIt() {
        long self = ProcessHandle.current().pid();
        ProcessTable.Stat st = ProcessTable.stat(self).orElseThrow();
        assertTrue(st.live());
        assertEquals(ProcessHandle.current().info().startInstant().orElseThrow(), st.startInstant());
        assertTrue(st.rssPages() > 0);
        assertTrue(ProcessTable.alive(self));
        assertTrue(ProcessTable.hasLiveMember(st.pgrp()));
        Map<Long, io.procpool.spi.ProcessUsage> usage = ProcessStats.sample(List.of(st.pgrp()));
        assertTrue(usage.get(st.pgrp()).cpuSeconds() > 0 && usage.get(st.pgrp()).rssBytes() > 0, usage.toString());
    }

    @Test
    void aProcessThatHasEndedIsNotAlive() throws Exception {
        Process child = new ProcessBuilder("true").start();
        try {
            // Reaped by the JDK's own thread: gone (or, a moment before, a zombie); never live.
            assertTrue(child.waitFor(5, TimeUnit.SECONDS));
            child.onExit().get(5, TimeUnit.SECONDS);
            assertFalse(ProcessTable.alive(child.pid()));
            assertTrue(ProcessTable.stat(child.pid()).map(st -> !st.live()).orElse(true));
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void anEnvironmentEntryMatchesWholeNeverAsAPrefixOrSuffix() {
        byte[] env = "HOME=/root\0PROCPOOL_RUN=ab12\0XPROCPOOL_RUN=cd\0".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assertions.assertTrue(ProcessTable.hasEntry(env, bytes("PROCPOOL_RUN=ab12")));
        org.junit.jupiter.api.Assertions.assertTrue(ProcessTable.hasEntry(env, bytes("HOME=/root")), "the first entry");
        org.junit.jupiter.api.Assertions.assertFalse(ProcessTable.hasEntry(env, bytes("PROCPOOL_RUN=ab1")));
        org.junit.jupiter.api.Assertions.assertFalse(ProcessTable.hasEntry(env, bytes("PROCPOOL_RUN=cd")), "the end of another entry");
        org.junit.jupiter.api.Assertions.assertTrue(ProcessTable.hasEntry(bytes("A=1\0B=2"), bytes("B=2")), "a last entry without its NUL");
        org.junit.jupiter.api.Assertions.assertFalse(ProcessTable.hasEntry(new byte[0], bytes("A=1")));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
