package io.procpool.config;

import java.time.Duration;

/**
 * Resource limits of one instance's process tree (PM2's max_memory_restart, monit's resource
 * tests): an instance above a limit for {@code sustained} is replaced, gracefully.
 *
 * @param maxRss resident memory in bytes; 0: no limit
 * @param maxCpu CPU in cores (1.0 = one core busy); 0: no limit
 * @param sustained how long a limit must be exceeded before the instance is replaced
 */
public record LimitSettings(long maxRss, double maxCpu, Duration sustained) {

    /** True when any limit is set. */
    public boolean any() {
        return maxRss > 0 || maxCpu > 0;
    }
}
