package io.procpool.spi;

/**
 * What one process group costs at one moment.
 *
 * @param cpuSeconds user + system CPU time of its live members (members that have exited and been
 *     reaped are no longer counted)
 * @param rssBytes resident memory of its live members
 * @param processes how many live members it has
 */
public record ProcessUsage(double cpuSeconds, long rssBytes, int processes) {

    /** Nothing: no member. */
    public static final ProcessUsage NONE = new ProcessUsage(0, 0, 0);

    /** This usage and one more member's. */
    public ProcessUsage plus(double cpu, long rss) {
        return new ProcessUsage(cpuSeconds + cpu, rssBytes + rss, processes + 1);
    }
}
