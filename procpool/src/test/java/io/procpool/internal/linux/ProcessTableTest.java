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

    /**
     * The /proc pass is shared by the questions asked while it runs: a process that left its
     * instance's group is found, and once its session has ended, the answer says so.
     */
    @Test
    void aSessionsMembersOutsideItsGroupAreFoundAndItsEndIsSeen() throws Exception {
        // setsid: a session of its own, whose id is the child's pid; its forked child moves into
        // a group of its own in that session (as a descendant that left its instance's group).
        Process child = new ProcessBuilder("setsid", "python3", "-c",
                "import os, time\nif os.fork() == 0:\n    os.setpgid(0, 0)\ntime.sleep(60)").start();
        try {
            long session = child.pid();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<Long> outside = ProcessTable.outsideGroupInSession(session);
            while (outside.isEmpty() && System.nanoTime() < end) {
                Thread.onSpinWait(); // until the forked child has moved into a group of its own
                outside = ProcessTable.outsideGroupInSession(session);
            }
            assertEquals(1, outside.size(), "the forked child, in a group of its own: " + outside);
            assertTrue(ProcessTable.hasLiveMemberOfGroupOrSession(session));
            new ProcessBuilder("kill", "-KILL", Long.toString(outside.get(0)), Long.toString(session)).start().waitFor();
            assertTrue(child.waitFor(5, TimeUnit.SECONDS));
            // The forked child is reparented and reaped by whoever reaps orphans here, soon.
            end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ProcessTable.hasLiveMemberOfGroupOrSession(session) && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            assertFalse(ProcessTable.hasLiveMemberOfGroupOrSession(session), "the session's end is seen");
            assertTrue(ProcessTable.outsideGroupInSession(session).isEmpty());
        } finally {
            child.descendants().forEach(ProcessHandle::destroyForcibly);
            child.destroyForcibly();
        }
    }

    /**
     * A pass taken before a process started must not answer for it: sharing passes by age did, and
     * a replacement instance then started while its predecessor's group still held the port.
     */
    @Test
    void aProcessStartedAfterAPassIsSeenByTheNextQuestion() throws Exception {
        assertFalse(ProcessTable.hasLiveMemberOfGroupOrSession(Long.MAX_VALUE - 1)); // a pass now
        Process child = new ProcessBuilder("setsid", "sleep", "30").start();
        try {
            // start() returns once setsid(1) is exec'd, not once it has made its session: wait for
            // that from the child's own stat (not from a pass), so the question is the only pass.
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ProcessTable.stat(child.pid()).map(st -> st.session() != child.pid()).orElse(true)
                    && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            assertTrue(ProcessTable.hasLiveMemberOfGroupOrSession(child.pid()), "started after the last pass");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aStatLineIsReadFromTheLastParenthesisWithSignedFields() {
        byte[] line = bytes("4242 (we ird) (name)) S 1 4242 4240 0 -1 4194560 120 0 0 0 7 3 0 0 -2 -5 1 0 98765 2504704 431 "
                + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
        ProcessTable.Stat st = ProcessTable.parse(line);
        assertEquals(new ProcessTable.Stat('S', 1, 4242, 4240, 10, 98765, 431), st);
        assertEquals(null, ProcessTable.parse(bytes("4242 (cut short) Z 1 4242")));
        assertEquals(null, ProcessTable.parse(bytes("no parenthesis at all")));
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
