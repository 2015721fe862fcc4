package io.procpool.internal.linux;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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
        return stat(PROC.resolve(Long.toString(pid)));
    }

    private static Optional<Stat> stat(Path dir) {
        try {
            return Optional.ofNullable(parse(Files.readAllBytes(dir.resolve("stat"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
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
        int close = line.length - 1;
        while (close >= 0 && line[close] != ')') {
            close--;
        }
        if (close < 0 || close + 2 >= line.length) {
            return null;
        }
        char state = (char) line[close + 2];
        long[] f = new long[22]; // f[1] .. f[21]: ppid .. rss, as numbered after the state
        int j = close + 3;
        for (int k = 1; k < f.length; k++) {
            if (j >= line.length || line[j] != ' ') {
                return null;
            }
            j++;
            boolean negative = j < line.length && line[j] == '-'; // priority and nice may be
            if (negative) {
                j++;
            }
            int start = j;
            long value = 0;
            while (j < line.length && line[j] >= '0' && line[j] <= '9') {
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
        forEachDir(dir -> stat(dir).ifPresent(visit)); // a process gone meanwhile is skipped
    }

    private static void forEachDir(java.util.function.Consumer<Path> visit) throws IOException {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
            dirs.forEach(visit);
        }
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
        forEachDir(dir -> {
            long pid = Long.parseLong(dir.getFileName().toString());
            if (pid == self) {
                return;
            }
            try {
                if (hasEntry(Files.readAllBytes(dir.resolve("environ")), wanted)) {
                    stat(dir).filter(Stat::live).ifPresent(st -> found.put(pid, st));
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
        try {
            Pass now = Pass.recent();
            return now.bySession.containsKey(id) || now.byGroup.containsKey(id);
        } catch (IOException e) {
            return true; // cannot tell: assume the worst
        }
    }

    /**
     * The live processes of session {@code session} that are not in group {@code session}, by
     * pid: an instance's descendants that left its group but not its session. The session's
     * members come from a pass that began after the question, and each is read again here, so one
     * that ended since is not returned.
     */
    static java.util.List<Long> outsideGroupInSession(long session) throws IOException {
        java.util.List<Long> out = new java.util.ArrayList<>();
        for (long pid : Pass.recent().bySession.getOrDefault(session, java.util.List.of())) {
            if (stat(pid).filter(st -> st.session() == session && st.pgrp() != session && st.live()).isPresent()) {
                out.add(pid);
            }
        }
        return out;
    }

    /**
     * One {@code /proc} pass (each live process's group and session), shared by the questions
     * asked while it ran: a pass reads every process's stat, 16 ms for 500 processes on
     * a loaded 2-core machine, and stopping a pool asks once per instance for its stop and once
     * for its exit, one after another on the instances' thread and the reaper's. A pass per
     * question made stopping N instances cost N squared reads: 5,000 instances were not stopped
     * after 5 minutes. Sharing a pass for 100 ms after it ended fixed that, but answered "gone"
     * for a group whose processes had started after the pass (make chaos-short's storm), so only
     * questions asked before a pass began share it: concurrent ones, not one after another.
     */
    private record Pass(long began, Map<Long, java.util.List<Long>> bySession, Map<Long, java.util.List<Long>> byGroup) {

        private static Pass latest;

        /** A pass that began after this call: the one under way when it began later, else a new one. */
        static Pass recent() throws IOException {
            return since(System.nanoTime());
        }

        // Only a pass that began after the question was asked: a pass from before an instance's
        // leader started does not know its group (a reuse by age alone answered "gone" for a group
        // whose processes had started after the pass: make chaos-short's storm).
        private static synchronized Pass since(long asked) throws IOException {
            if (latest != null && latest.began - asked >= 0) {
                return latest;
            }
            long began = System.nanoTime();
            Map<Long, java.util.List<Long>> bySession = new java.util.HashMap<>();
            Map<Long, java.util.List<Long>> byGroup = new java.util.HashMap<>();
            forEachDir(dir -> stat(dir).filter(Stat::live).ifPresent(st -> {
                Long pid = Long.valueOf(dir.getFileName().toString());
                bySession.computeIfAbsent(st.session(), k -> new java.util.ArrayList<>()).add(pid);
                byGroup.computeIfAbsent(st.pgrp(), k -> new java.util.ArrayList<>()).add(pid);
            }));
            latest = new Pass(began, bySession, byGroup);
            return latest;
        }
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
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
            for (Path task : dirs) {
                try {
                    String text = Files.readString(task.resolve("children"));
                    listed = true;
                    for (String pid : text.trim().split(" ")) {
                        if (!pid.isEmpty()) {
                            out.add(Long.parseLong(pid));
                        }
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // a thread that ended meanwhile, or no such files on this kernel
                }
            }
        }
        if (!listed) {
            long self = ProcessHandle.current().pid();
            forEachDir(dir -> stat(dir).filter(st -> st.ppid() == self)
                    .ifPresent(st -> out.add(Long.parseLong(dir.getFileName().toString()))));
        }
        return out;
    }

    /** True when process {@code pid} exists and is not a zombie. */
    static boolean alive(long pid) {
        return stat(pid).map(Stat::live).orElse(false);
    }

    static boolean isPid(String name) {
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }
}
