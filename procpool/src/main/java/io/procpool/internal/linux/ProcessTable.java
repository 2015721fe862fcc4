package io.procpool.internal.linux;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Reads Linux's {@code /proc} for what {@code kill(2)} cannot tell: whether a process group
 * still has a member that is not a zombie. A zombie holds no port and no file; it only waits for
 * its parent (for orphans: PID 1, which in containers may reap late) to collect it.
 */
final class ProcessTable {

    private static final Path PROC = Path.of("/proc");

    private ProcessTable() {
    }

    /**
     * One reading of {@code /proc/PID/stat}: the fields procpool uses.
     *
     * @param state R, S, D, Z (zombie), X (dead) ...
     * @param ppid its parent
     * @param pgrp the process group
     * @param session its session
     * @param cpuTicks user + system CPU time, in clock ticks
     * @param startTicks when it started, in clock ticks after boot
     * @param rssPages resident memory, in pages
     */
    record Stat(char state, long ppid, long pgrp, long session, long cpuTicks, long startTicks, long rssPages) {

        /** Not a zombie: it holds its ports and files. */
        boolean live() {
            return state != 'Z' && state != 'X';
        }

        /**
         * When it started, from the boot time: the JDK's {@code ProcessHandle.info()} computes the
         * same from four files. Recorded in the state file and compared with it by the next manager.
         */
        Instant startInstant() {
            return Instant.ofEpochMilli(BootTime.MILLIS + startTicks * 1000 / BootTime.CLOCK_TICKS);
        }

        double cpuSeconds() {
            return cpuTicks / (double) BootTime.CLOCK_TICKS;
        }
    }

    /** Reads {@code /proc/PID/stat}; empty when the process is gone (or the file cannot be parsed). */
    static Optional<Stat> stat(long pid) {
        return Optional.ofNullable(readStat(Long.toString(pid), new byte[STAT_BUFFER]));
    }

    /** Enough for any stat line: 52 numbers and a command name of at most 64 bytes. */
    private static final int STAT_BUFFER = 2048;

    /**
     * {@code /proc/NAME/stat} read into {@code buf} and parsed; null when the process is gone or
     * the line cannot be parsed. A {@link FileInputStream} on a path string and a buffer reused
     * for a whole pass: {@code Files.readAllBytes} on a {@link Path} (a channel, its size, a read
     * to the end, a {@code Path} per process) made a pass over 68 processes take 3.2 ms here,
     * against 0.9 ms this way; over the 600 processes of a pool of 500, passes of 15 ms.
     */
    private static Stat readStat(String pid, byte[] buf) {
        try (FileInputStream in = new FileInputStream("/proc/" + pid + "/stat")) {
            int n = in.readNBytes(buf, 0, buf.length);
            return n == buf.length ? null : parse(buf, n);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Every process now, one {@code /proc} pass: {@code visit} gets each one's pid and stat. */
    private static void forEachStat(java.util.function.BiConsumer<String, Stat> visit) throws IOException {
        String[] names = new java.io.File("/proc").list();
        if (names == null) {
            throw new IOException("cannot list /proc");
        }
        byte[] buf = new byte[STAT_BUFFER];
        for (String name : names) {
            if (isPid(name)) {
                Stat st = readStat(name, buf);
                if (st != null) { // a process gone meanwhile is skipped
                    visit.accept(name, st);
                }
            }
        }
    }

    /**
     * The fields of a {@code stat} line: pid (comm) state ppid pgrp session tty tpgid flags minflt
     * cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
     * vsize rss ...; comm may hold spaces and parentheses, so they are counted from its last ')'.
     * Read off the bytes, without a String per field: a pass over 5,000 processes read with
     * {@code String.split} made 125,000 strings, and stopping a pool of 5,000 spent more time in
     * the collector than in the reading. Null when the line is not one.
     */
    static Stat parse(byte[] line) {
        return parse(line, line.length);
    }

    /** As {@link #parse(byte[])}, of the first {@code length} bytes of {@code line}. */
    static Stat parse(byte[] line, int length) {
        int close = length - 1;
        while (close >= 0 && line[close] != ')') {
            close--;
        }
        if (close < 0 || close + 2 >= length) {
            return null;
        }
        char state = (char) line[close + 2];
        long[] f = new long[22]; // f[1] .. f[21]: ppid .. rss, as numbered after the state
        int j = close + 3;
        for (int k = 1; k < f.length; k++) {
            if (j >= length || line[j] != ' ') {
                return null;
            }
            j++;
            boolean negative = j < length && line[j] == '-'; // priority and nice may be
            if (negative) {
                j++;
            }
            int start = j;
            long value = 0;
            while (j < length && line[j] >= '0' && line[j] <= '9') {
                value = value * 10 + (line[j] - '0');
                j++;
            }
            if (j == start) {
                return null;
            }
            f[k] = negative ? -value : value;
        }
        return new Stat(state, f[1], f[2], f[3], f[11] + f[12], f[19], f[21]);
    }

    /** Every process now, one {@code /proc} pass; {@code visit} gets each one's stat. */
    static void forEach(java.util.function.Consumer<Stat> visit) throws IOException {
        forEachStat((pid, st) -> visit.accept(st));
    }

    /**
     * The live processes (by pid, with their stat) whose environment holds the entry
     * {@code entry} (such as {@code NAME=value}), read from {@code /proc/PID/environ}: what they
     * were started with (a process that rewrites its environment in place is not found).
     * Processes of other users cannot be read and are skipped; so is this JVM.
     */
    static Map<Long, Stat> withEnvironmentEntry(String entry) throws IOException {
        byte[] wanted = entry.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long self = ProcessHandle.current().pid();
        Map<Long, Stat> found = new java.util.LinkedHashMap<>();
        forEachStat((name, st) -> {
            long pid = Long.parseLong(name);
            if (pid == self || !st.live()) {
                return;
            }
            try {
                if (hasEntry(Files.readAllBytes(PROC.resolve(name).resolve("environ")), wanted)) {
                    found.put(pid, st);
                }
            } catch (IOException | SecurityException e) {
                // gone meanwhile, or not ours to read
            }
        });
        return found;
    }

    /** True when the NUL-separated entries of {@code env} include exactly {@code wanted}. */
    static boolean hasEntry(byte[] env, byte[] wanted) {
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start == wanted.length && java.util.Arrays.equals(env, start, i, wanted, 0, wanted.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    /** True when some process of group {@code pgid} is alive and not a zombie (from a pass that began after the question). */
    static boolean hasLiveMember(long pgid) {
        try {
            return Pass.recent().byGroup.containsKey(pgid);
        } catch (IOException e) {
            return true; // cannot tell: assume the worst
        }
    }

    /**
     * True when some process of group or session {@code id} is alive and not a zombie: for an
     * instance (which leads a session whose id is its pid), any of its processes, also one that
     * left its group with {@code setpgid} (a process leaves a session only by making a new one).
     *
     * <p>From a pass that began after the question, shared with the questions asked while it ran.
     */
    static boolean hasLiveMemberOfGroupOrSession(long id) {
        return hasLiveMemberOfGroupOrSession(id, System.nanoTime());
    }

    /** How old a pass may be that answers "yes, a live member" (see below). */
    static final long ALIVE_PASS_AGE_NANOS = 10_000_000L;

    /**
     * As {@link #hasLiveMemberOfGroupOrSession(long)}, where a "no" may come from any pass that
     * began after {@code since} ({@link System#nanoTime}), a moment after the group and session
     * were made (for an instance: after its leader's exit was seen), and a "yes" from such a pass
     * begun at most {@value #ALIVE_PASS_AGE_NANOS} ns before this call. A "yes" needs some
     * freshness only so that a caller that asks again (a poll) sees the end; a member seen alive
     * after {@code since} was alive after the exit, which is what a caller acts on. Were every
     * "yes" looked up afresh, a look at many exited instances whose remnants are still ending
     * would read /proc once per instance.
     *
     * <p>Why a "no" may be older than the question: a session without a live member never gets
     * one again. A new member comes from a fork of a live member, or by {@code setpgid} into the
     * group, which only a live process of the same session may do; only the process whose pid is
     * the id could make the session anew, and an instance's leader is reaped by then (a stranger
     * that gets its pid later is not the instance's). So when a pool stops, the questions about
     * the instances whose exits were seen before a pass began are all answered by that pass: a
     * stop of 500 took about 1,000 passes one after another, 15 to 17 s here; now 10 to 40, 0.8 s.
     */
    static boolean hasLiveMemberOfGroupOrSession(long id, long since) {
        long asked = System.nanoTime();
        try {
            Boolean alive = answer(Pass.since(since), id, asked);
            // A live member in an older pass may have ended since: look again.
            return alive != null ? alive : Pass.since(asked).holds(id);
        } catch (IOException e) {
            return true; // cannot tell: assume the worst
        }
    }

    /**
     * What {@code pass} (one that began after the group's {@code since}) says of group or session
     * {@code id} for a question asked at {@code asked}: false when it holds no live member (final),
     * true when it does and began at most {@value #ALIVE_PASS_AGE_NANOS} ns before the question,
     * null when only a pass that began after the question can tell. The rule of both the question
     * that waits and the poll that does not.
     */
    private static Boolean answer(Pass pass, long id, long asked) {
        if (!pass.holds(id)) {
            return false;
        }
        return asked - pass.began <= ALIVE_PASS_AGE_NANOS ? Boolean.TRUE : null;
    }

    /**
     * As {@link #hasLiveMemberOfGroupOrSession(long, long)}, for a poll, without waiting for a
     * pass: true only when a pass that began after {@code since} has no live member of group or
     * session {@code id}. When no such pass has been taken yet, or the last one held a member and
     * is older than {@value #ALIVE_PASS_AGE_NANOS} ns, a pass is asked of this class's own thread
     * and the answer is false (not known yet); the caller polls again.
     *
     * <p>Why a poll must not wait: when a pool stops, the instances' one thread sends every stop
     * signal and also polls each stopped instance's session. Polls that waited for a pass (about
     * 150 ms over the processes of a pool of 5,000) held the signals back: 150 instances stopped
     * per second, 26 s for 5,000. A pass taken on another thread serves all the polls made while
     * it ran.
     */
    static boolean knownGone(long id, long since) {
        long asked = System.nanoTime();
        Pass last = Pass.latest;
        if (last == null || last.began - since < 0) {
            Pass.request(since);
            return false;
        }
        Boolean alive = answer(last, id, asked);
        if (alive == null) {
            Pass.request(asked);
        }
        return Boolean.FALSE.equals(alive);
    }

    /** How old a pass may be that chooses whom a signal reaches besides the group, at least. */
    private static final long SIGNAL_PASS_AGE_NANOS = 100_000_000L;

    /**
     * How old a pass may be that chooses whom a signal reaches: 100 ms, or three times as long as
     * the last pass took when that is longer. A fixed 100 ms window stopped working at 5,000
     * instances: a pass over their 5,000-odd processes takes about as long as the window, so it
     * was too old the moment it ended and every signal took a pass of its own (4,613 of 5,000
     * children still running 300 s after the SIGTERM). With the window three passes long, a pass
     * serves the signals of at least two passes' time after it ends.
     */
    static long signalPassAge(long lastPassTookNanos) {
        return Math.max(SIGNAL_PASS_AGE_NANOS, 3 * lastPassTookNanos);
    }

    /**
     * The live processes of session {@code session} that are not in group {@code session}, by
     * pid: an instance's descendants that left its group but not its session. The session's
     * members come from a pass that began at most 100 ms before the question (longer when passes
     * take long: {@link #signalPassAge}), and each is read again here, so one that ended since is
     * not returned.
     *
     * <p>Why an older pass: each signal to an instance asks this, and a stop sends two (the stop
     * signal and SIGCONT) to every instance, one after another on the instances' thread; a pass
     * per signal made stopping 500 instances take 15 s here (and 0.5 s for 50), against 0.6 s
     * with passes shared for 100 ms. What that may miss: a process that left the instance's group
     * in that window before the signal. It is still in the session, so the stop still waits for
     * it (whether a session has a live member is always looked up afresh) and it gets the SIGKILL
     * at the stop's deadline; only its grace is lost.
     */
    static java.util.List<Long> outsideGroupInSession(long session) throws IOException {
        java.util.List<Long> out = new java.util.ArrayList<>();
        for (long pid : Pass.since(System.nanoTime() - signalPassAge(Pass.lastTook())).bySession.getOrDefault(session, java.util.List.of())) {
            if (stat(pid).filter(st -> st.session() == session && st.pgrp() != session && st.live()).isPresent()) {
                out.add(pid);
            }
        }
        return out;
    }

    /**
     * One {@code /proc} pass (each live process's group and session). A pass reads every
     * process's stat, and stopping a pool asks about every instance, for its signals and after its
     * exit: a pass per question made stopping N instances cost N squared reads (5,000 were not
     * stopped after 5 minutes). Which questions a pass may answer is decided by the callers above:
     * a question about a group that existed before the pass began, "gone" after an exit seen
     * before it began, a signal's outsiders within {@link #signalPassAge}. Never a group made after
     * it began: sharing passes by age alone answered "gone" for a group whose processes had started
     * after the pass (make chaos-short's storm).
     */
    private record Pass(long began, long took, Map<Long, java.util.List<Long>> bySession, Map<Long, java.util.List<Long>> byGroup) {

        /** The last pass taken; read without the lock, so that a question it answers never waits for another pass. */
        private static volatile Pass latest;
        /** Passes taken so far: for tests of the sharing. */
        private static long taken;

        boolean holds(long id) {
            return bySession.containsKey(id) || byGroup.containsKey(id);
        }

        /** A pass that began after this call: the one under way when it began later, else a new one. */
        static Pass recent() throws IOException {
            return since(System.nanoTime());
        }

        // Only a pass that began after the question was asked: a pass from before an instance's
        // leader started does not know its group (a reuse by age alone answered "gone" for a group
        // whose processes had started after the pass: make chaos-short's storm).
        private static Pass since(long asked) throws IOException {
            Pass last = latest;
            return last != null && last.began - asked >= 0 ? last : take(asked);
        }

        private static synchronized Pass take(long asked) throws IOException {
            if (latest != null && latest.began - asked >= 0) {
                return latest; // taken by another thread while this one waited
            }
            long began = System.nanoTime();
            Map<Long, java.util.List<Long>> bySession = new java.util.HashMap<>();
            Map<Long, java.util.List<Long>> byGroup = new java.util.HashMap<>();
            forEachStat((name, st) -> {
                if (st.live()) {
                    Long pid = Long.valueOf(name);
                    bySession.computeIfAbsent(st.session(), k -> new java.util.ArrayList<>()).add(pid);
                    byGroup.computeIfAbsent(st.pgrp(), k -> new java.util.ArrayList<>()).add(pid);
                }
            });
            latest = new Pass(began, System.nanoTime() - began, bySession, byGroup);
            taken++;
            return latest;
        }

        /**
         * The latest moment a requested pass must begin after. Requests are not cleared once served:
         * a pass that began after the latest of them began after every one, and a served one is
         * already older than the last pass, so it costs no new pass.
         */
        private static long wanted = System.nanoTime();
        /** A task that will take {@link #wanted}'s pass is queued and has not started. */
        private static boolean queued;

        /**
         * The thread that takes the passes polls ask for ({@link #knownGone}): one at most, made when
         * one is wanted and gone after 10 s without any.
         */
        private static final java.util.concurrent.ThreadPoolExecutor PASSES = io.procpool.internal.Threads.onDemand("procpool-proc",
                java.time.Duration.ofSeconds(10));

        /** Asks for a pass that begins after {@code asked}, taken on {@link #PASSES}; never waits. */
        static void request(long asked) {
            synchronized (PASSES) {
                if (asked - wanted > 0) {
                    wanted = asked;
                }
                if (queued) {
                    return; // the queued task serves this request too
                }
                queued = true;
            }
            PASSES.execute(Pass::serve);
        }

        private static void serve() {
            long asked;
            synchronized (PASSES) {
                queued = false; // a request from now on queues the task again
                asked = wanted;
            }
            try {
                since(asked);
            } catch (IOException e) {
                // the poll that asked asks again
            }
        }

        /** How long the last pass took; 0 before the first. */
        static long lastTook() {
            Pass last = latest;
            return last == null ? 0 : last.took;
        }

        static synchronized long taken() {
            return taken;
        }
    }

    /** True when no pass that a poll asked for is queued or under way (tests). */
    static boolean requestedPassesDone() {
        synchronized (Pass.PASSES) {
            return !Pass.queued && Pass.PASSES.getActiveCount() == 0;
        }
    }

    /** How many {@code /proc} passes the group and session questions have taken so far (tests). */
    static long passesTaken() {
        return Pass.taken();
    }

    /** When process {@code pid} started (see {@link Stat#startInstant}). */
    static Optional<Instant> startInstant(long pid) {
        return stat(pid).map(Stat::startInstant);
    }

    /** The boot time and the clock tick, read once. */
    private static final class BootTime {
        static final long MILLIS = read();
        static final long CLOCK_TICKS = ticks();

        private static long read() {
            try {
                for (String line : Files.readAllLines(PROC.resolve("stat"))) {
                    if (line.startsWith("btime ")) {
                        return Long.parseLong(line.substring(6).trim()) * 1000;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // fall through
            }
            return 0;
        }

        private static long ticks() {
            try {
                long t = LibC.C.sysconf(2); // _SC_CLK_TCK
                return t > 0 ? t : 100;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                return 100;
            }
        }
    }


    /**
     * The children of this process, from {@code /proc/self/task/TID/children} (a child belongs to
     * the thread that started it, or to one of ours when it was adopted). Where the kernel lacks
     * those files (built without {@code CONFIG_PROC_CHILDREN}), every process's parent is read
     * instead, one {@code /proc} pass.
     */
    static java.util.Set<Long> children() throws IOException {
        java.util.Set<Long> out = new java.util.HashSet<>();
        Path tasks = PROC.resolve("self/task");
        boolean listed = false;
        byte[] buf = new byte[STAT_BUFFER];
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
            for (Path task : dirs) {
                try {
                    readPids(task.resolve("children").toString(), buf, out);
                    listed = true;
                } catch (java.io.FileNotFoundException e) {
                    // a thread that ended meanwhile, or no such files on this kernel
                }
            }
        }
        if (!listed) {
            long self = ProcessHandle.current().pid();
            forEachStat((pid, st) -> {
                if (st.ppid() == self) {
                    out.add(Long.parseLong(pid));
                }
            });
        }
        return out;
    }

    /**
     * The children on this JVM's first thread's list ({@code /proc/self/task/PID/children}): where
     * the kernel puts the processes it hands this JVM as the subreaper or PID 1 (it picks the
     * first thread of the process that is not exiting, which is this one while it lives; the
     * {@code java} launcher's first thread waits for the main thread until the JVM exits), and the
     * children of threads that ended. Null when that thread has ended (a zombie thread: the kernel
     * puts the adopted elsewhere then), or the kernel lacks the file: then only {@link #children()}
     * tells. (A moment in which the first thread is ending but not yet a zombie exists only as the
     * JVM itself exits.) Two small reads, against one per
     * thread (37 in a pool of 50, 0.5 to 0.9 ms) for {@link #children()}.
     */
    static java.util.Set<Long> childrenOfFirstThread() {
        String self = Long.toString(ProcessHandle.current().pid());
        byte[] buf = new byte[STAT_BUFFER];
        Stat first = readStat(self + "/task/" + self, buf);
        if (first == null || !first.live()) {
            return null;
        }
        java.util.Set<Long> out = new java.util.HashSet<>();
        try {
            readPids("/proc/" + self + "/task/" + self + "/children", buf, out);
            return out;
        } catch (IOException e) {
            return null;
        }
    }

    /** Adds the pids of a {@code children} file (numbers separated by spaces) to {@code out}, read with {@code buf}. */
    private static void readPids(String file, byte[] buf, java.util.Set<Long> out) throws IOException {
        try (FileInputStream in = new FileInputStream(file)) {
            long pid = -1;
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b >= '0' && b <= '9') {
                        pid = (pid < 0 ? 0 : pid * 10) + (b - '0');
                    } else if (pid >= 0) {
                        out.add(pid);
                        pid = -1;
                    }
                }
            }
            if (pid >= 0) {
                out.add(pid);
            }
        }
    }

    /** True when process {@code pid} exists and is not a zombie. */
    static boolean alive(long pid) {
        return stat(pid).map(Stat::live).orElse(false);
    }

    static boolean isPid(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
