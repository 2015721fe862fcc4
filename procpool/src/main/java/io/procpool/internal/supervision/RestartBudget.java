package io.procpool.internal.supervision;

import io.procpool.config.RestartSettings;
import java.time.Duration;

/**
 * The restart budget of one instance: how many times it has been restarted since its last stable
 * run. Its pool is the one owner (OTP's supervisor keeps restart intensity the same way, as a
 * pure function of its own state): what the status and the logs say ("restart 3 of 10 in
 * 412ms") is the very decision that is carried out. Immutable.
 *
 * @param spent restarts since the last run of {@code restart.reset-after}
 */
record RestartBudget(int spent) {

    /** A new instance's budget: nothing spent. */
    static RestartBudget fresh() {
        return new RestartBudget(0);
    }

    /** What to do after one of the instance's processes ended unexpectedly. */
    sealed interface Verdict {
        /** The text for the status and the log. */
        String text();
    }

    /** Restart after {@code delay}; the budget is then {@code next}. */
    record Restart(RestartBudget next, Duration delay, String text) implements Verdict {
    }

    /** The budget is spent: the instance is FAILED. */
    record Exhausted(RestartBudget spentBudget, String text) implements Verdict {
    }

    /**
     * The decision after a process ended unexpectedly.
     *
     * @param ranStable the process ran for at least {@code reset-after}: the budget starts over
     * @param random a number in [0, 1) that places the delay within its jitter
     */
    Verdict afterFailure(RestartSettings s, boolean ranStable, double random) {
        int n = ranStable ? 0 : spent;
        if (n >= s.maxRestarts()) {
            return new Exhausted(new RestartBudget(n), "restart budget spent (" + n + " restarts without a run of "
                    + Backoff.format(s.resetAfter()) + ")");
        }
        Duration delay = Backoff.jittered(s, n, random);
        return new Restart(new RestartBudget(n + 1), delay, "restart " + (n + 1) + " of " + s.maxRestarts() + " in "
                + Backoff.format(delay));
    }
}
