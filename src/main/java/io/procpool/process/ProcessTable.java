package io.procpool.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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

    /** True when some process of group {@code pgid} is alive and not a zombie. */
    static boolean hasLiveMember(long pgid) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
            for (Path dir : dirs) {
                String stat;
                try {
                    stat = Files.readString(dir.resolve("stat"));
                } catch (IOException e) {
                    continue; // gone meanwhile
                }
                // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 4);
                if (f.length >= 3 && Long.parseLong(f[2]) == pgid && !f[0].equals("Z") && !f[0].equals("X")) {
                    return true;
                }
            }
        } catch (IOException e) {
            return true; // cannot tell: assume the worst
        }
        return false;
    }

    /**
     * When process {@code pid} started, from {@code /proc/PID/stat} and the boot time: one small
     * read, where the JDK's {@code ProcessHandle.info()} reads four files. Recorded in the state
     * file and compared with it by the next manager, so both sides must use this.
     */
    static Optional<Instant> startInstant(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 21);
            long ticks = Long.parseLong(f[19]);
            return Optional.of(Instant.ofEpochMilli(BootTime.MILLIS + ticks * 1000 / BootTime.CLOCK_TICKS));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
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
                long t = com.sun.jna.Native.load("c", SysConf.class).sysconf(2); // _SC_CLK_TCK
                return t > 0 ? t : 100;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                return 100;
            }
        }
    }

    private interface SysConf extends com.sun.jna.Library {
        long sysconf(int name);
    }

    /** True when process {@code pid} exists and is not a zombie. */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static boolean isPid(String name) {
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }
}
