package io.procpool.internal.gateway;

import io.procpool.config.GatewaySettings.Balance;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;

/**
 * Picks one of a service's ready backends. Pure but for the round-robin counter; the random
 * source is a parameter so tests choose it.
 */
final class Balancer {

    private final Balance rule;
    private final AtomicLong next = new AtomicLong();
    /** A number in [0, bound). */
    private final IntUnaryOperator random;

    Balancer(Balance rule, IntUnaryOperator random) {
        this.rule = rule;
        this.random = random;
    }

    /**
     * One of {@code candidates} (not empty), by the rule: p2c compares two distinct ones at random
     * and takes the one with fewer requests in flight (the first on a tie), least-requests scans
     * them all, round-robin takes each in turn.
     */
    Backend choose(Backend[] candidates) {
        int n = candidates.length;
        if (n == 1) {
            return candidates[0];
        }
        return switch (rule) {
            case ROUND_ROBIN -> candidates[(int) Math.floorMod(next.getAndIncrement(), (long) n)];
            case LEAST_REQUESTS -> {
                Backend best = candidates[(int) Math.floorMod(next.getAndIncrement(), (long) n)];
                for (Backend b : candidates) {
                    if (b.inFlight() < best.inFlight()) {
                        best = b;
                    }
                }
                yield best;
            }
            case P2C -> {
                int a = random.applyAsInt(n);
                int b = random.applyAsInt(n - 1);
                if (b >= a) {
                    b++;
                }
                yield candidates[b].inFlight() < candidates[a].inFlight() ? candidates[b] : candidates[a];
            }
        };
    }
}
