package io.procpool.internal.process;

import java.io.IOException;
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
        try {
            ProcessTable.forEach(st -> {
                if (st.live() && wanted.contains(st.pgrp())) {
                    out.merge(st.pgrp(), Usage.NONE.plus(st.cpuSeconds(), st.rssPages() * PAGE_SIZE),
                            (a, b) -> a.plus(b.cpuSeconds(), b.rssBytes()));
                }
            });
        } catch (IOException e) {
            return out;
        }
        return out;
    }
}
