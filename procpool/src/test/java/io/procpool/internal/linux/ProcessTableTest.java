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
        Process child = sessionLeader();
        try {
            assertTrue(ProcessTable.hasLiveMemberOfGroupOrSession(child.pid()), "started after the last pass");
        } finally {
            child.destroyForcibly();
        }
    }

    /**
     * Stopping many instances asks once per instance, after its leader's exit: a pass that began
     * after an exit answers "gone" for it without another pass, "alive" only while it is recent,
     * and a session made after the last pass is never answered from it.
     */
    @Test
    void aPassAfterAnExitAnswersForItAndALiveMemberOnlyWhileRecent() throws Exception {
        Process first = sessionLeader();
        Process second = sessionLeader();
        Process later = null;
        try {
            long before = ProcessTable.passesTaken();
            long start = System.nanoTime();
            assertTrue(ProcessTable.hasLiveMemberOfGroupOrSession(first.pid(), start));
            assertEquals(before + 1, ProcessTable.passesTaken());
            long passed = System.nanoTime();
            while (System.nanoTime() - passed <= ProcessTable.ALIVE_PASS_AGE_NANOS) {
                Thread.onSpinWait(); // until that pass is too old to say "alive"
            }
            assertTrue(ProcessTable.hasLiveMemberOfGroupOrSession(first.pid(), start), "alive, from a fresh pass");
            assertEquals(before + 2, ProcessTable.passesTaken(), "a live member is not answered from a pass that old");

            first.destroyForcibly().waitFor();
            second.destroyForcibly().waitFor();
            long firstSeen = System.nanoTime();
            long secondSeen = System.nanoTime();
            assertFalse(ProcessTable.hasLiveMemberOfGroupOrSession(first.pid(), firstSeen));
            long afterFirst = ProcessTable.passesTaken();
            assertFalse(ProcessTable.hasLiveMemberOfGroupOrSession(second.pid(), secondSeen));
            assertEquals(afterFirst, ProcessTable.passesTaken(), "the second exit, seen before that pass, shares it");

            // A session made after that pass: asked about since its start, it gets a pass of its own.
            later = sessionLeader();
            assertTrue(ProcessTable.hasLiveMemberOfGroupOrSession(later.pid(), System.nanoTime()));
            assertEquals(afterFirst + 1, ProcessTable.passesTaken());
        } finally {
            first.destroyForcibly();
            second.destroyForcibly();
            if (later != null) {
                later.destroyForcibly();
            }
        }
    }

    /**
     * A poll (a stopped instance's, the state file's) never waits for a pass: it gets "not known
     * yet" and a pass is taken on another thread; a later poll gets the answer from that pass.
     */
    @Test
    void aPollIsAnsweredFromAPassTakenOnAnotherThread() throws Exception {
        Process child = sessionLeader();
        try {
            long since = System.nanoTime();
            long before = ProcessTable.passesTaken();
            assertFalse(ProcessTable.knownGone(child.pid(), since), "alive");
            awaitRequestedPasses();
            assertTrue(ProcessTable.passesTaken() > before, "a pass was taken for the poll");
            assertFalse(ProcessTable.knownGone(child.pid(), since), "alive in that pass");
            awaitRequestedPasses(); // that poll may have asked for a newer pass

            child.destroyForcibly().waitFor();
            long seen = System.nanoTime();
            boolean gone = ProcessTable.knownGone(child.pid(), seen);
            assertFalse(gone, "no pass has begun since the exit was seen: not known yet");
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!gone && System.nanoTime() < end) {
                Thread.onSpinWait();
                gone = ProcessTable.knownGone(child.pid(), seen);
            }
            assertTrue(gone, "the end is seen by a later poll");
        } finally {
            child.destroyForcibly();
            awaitRequestedPasses(); // none left to count in another test's passes
        }
    }

    private static void awaitRequestedPasses() {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ProcessTable.requestedPassesDone() && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        assertTrue(ProcessTable.requestedPassesDone());
    }

    /** {@code setsid sleep 30}, once it leads its own session. */
    private static Process sessionLeader() throws Exception {
        Process child = new ProcessBuilder("setsid", "sleep", "30").start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessTable.stat(child.pid()).map(st -> st.session() != child.pid()).orElse(true)
                && System.nanoTime() < end) {
            Thread.onSpinWait(); // start() returns at setsid(1)'s exec, before it has made the session
        }
        assertEquals(child.pid(), ProcessTable.stat(child.pid()).orElseThrow().session());
        return child;
    }

    @Test
    void aStatLineIsReadFromTheLastParenthesisWithSignedFields() {
        byte[] line = bytes("4242 (we ird) (name)) S 1 4242 4240 0 -1 4194560 120 0 0 0 7 3 0 0 -2 -5 1 0 98765 2504704 431 "
                + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
        ProcessTable.Stat st = ProcessTable.parse(line);
        assertEquals(new ProcessTable.Stat('S', 1, 4242, 4240, 10, 98765, 431), st);
        // Read into a buffer reused for a whole pass: what lies past the line is an older one's.
        byte[] reused = java.util.Arrays.copyOf(line, line.length + 40);
        System.arraycopy(bytes(" 7 (x) Z 1 2 3)"), 0, reused, line.length, 15);
        assertEquals(st, ProcessTable.parse(reused, line.length));
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

    @Test
    void aSignalsPassMayBeOlderWhenPassesTakeLonger() {
        long ms = 1_000_000L;
        assertEquals(100 * ms, ProcessTable.signalPassAge(0), "before the first pass");
        assertEquals(100 * ms, ProcessTable.signalPassAge(15 * ms), "a pool of 500: 100 ms");
        // A pool of 5,000: a pass of 150 ms must still serve the signals sent after it ends.
        assertEquals(450 * ms, ProcessTable.signalPassAge(150 * ms));
        assertTrue(ProcessTable.signalPassAge(150 * ms) - 150 * ms >= 2 * 150 * ms);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
