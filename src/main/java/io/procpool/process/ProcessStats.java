package io.procpool.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the process groups of the instances cost: CPU time and resident memory of every member
 * (the leader, a shell's children, a server's workers), read from Linux's {@code /proc} in one
 * pass however many groups are asked for. Blocking file reads: call it off the actors' threads.
 */
public final class ProcessStats {

    /** Linux's {@code USER_HZ}, the unit of {@code utime}/{@code stime}; 100 on every mainstream kernel. */
    private static final double TICKS_PER_SECOND = 100.0;
    private static final long PAGE_SIZE = 4096;

    private ProcessStats() {
    }

    /**
     * One group's usage at the moment of reading.
     *
     * @param cpuSeconds user + system CPU time of the live members (children that have exited
     *     and been reaped are no longer counted)
     * @param rssBytes resident memory of the live members
     * @param processes how many live members there are
     */
    public record Usage(double cpuSeconds, long rssBytes, int processes) {
        static final Usage NONE = new Usage(0, 0, 0);

        Usage plus(double cpu, long rss) {
            return new Usage(cpuSeconds + cpu, rssBytes + rss, processes + 1);
        }
    }

    /** The usage of each of {@code groups} (a group with no live member is absent). */
    public static Map<Long, Usage> sample(Collection<Long> groups) {
        Set<Long> wanted = new HashSet<>(groups);
        Map<Long, Usage> out = new HashMap<>();
        if (wanted.isEmpty()) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), p -> ProcessTable.isPid(p.getFileName().toString()))) {
            for (Path dir : dirs) {
                String stat;
                try {
                    stat = Files.readString(dir.resolve("stat"));
                } catch (IOException e) {
                    continue;
                }
                // Fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt
                // cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (f.length < 22 || f[0].equals("Z")) {
                    continue;
                }
                long pgrp = Long.parseLong(f[2]);
                if (!wanted.contains(pgrp)) {
                    continue;
                }
                double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
                long rss = Long.parseLong(f[21]) * PAGE_SIZE;
                out.merge(pgrp, Usage.NONE.plus(cpu, rss), (a, b) -> a.plus(b.cpuSeconds(), b.rssBytes()));
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }
}
