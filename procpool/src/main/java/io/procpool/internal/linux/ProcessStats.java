package io.procpool.internal.linux;

import io.procpool.spi.ProcessUsage;

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

    /** The usage of each of {@code groups} (a group with no live member is absent). */
    public static Map<Long, ProcessUsage> sample(Collection<Long> groups) {
        Set<Long> wanted = new HashSet<>(groups);
        Map<Long, ProcessUsage> out = new HashMap<>();
        if (wanted.isEmpty()) {
            return out;
        }
        try {
            ProcessTable.forEach(st -> {
                if (st.live() && wanted.contains(st.pgrp())) {
                    out.merge(st.pgrp(), ProcessUsage.NONE.plus(st.cpuSeconds(), st.rssPages() * PAGE_SIZE),
                            (a, b) -> a.plus(b.cpuSeconds(), b.rssBytes()));
                }
            });
        } catch (IOException e) {
            return out;
        }
        return out;
    }
}
