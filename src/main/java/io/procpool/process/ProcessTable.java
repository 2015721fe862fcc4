package io.procpool.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

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

    static boolean isPid(String name) {
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }
}
