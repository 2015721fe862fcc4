package io.procpool.internal.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.procpool.config.RestartSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The one place a restart is decided: the budget, the delay and what the status says about them. */
class RestartBudgetTest {

    private static final RestartSettings THREE = new RestartSettings(Duration.ofMillis(100), Duration.ofSeconds(30), 0.2,
            Duration.ofSeconds(30), 3, Duration.ofMinutes(5));

    @Test
    void eachFailureSpendsOneRestartAndDoublesTheDelay() {
        RestartBudget.Verdict first = RestartBudget.fresh().afterFailure(THREE, false, 0.0);
        RestartBudget.Restart r1 = assertInstanceOf(RestartBudget.Restart.class, first);
        assertEquals(new RestartBudget(1), r1.next());
        assertEquals(Duration.ofMillis(100), r1.delay());
        assertEquals("restart 1 of 3 in 100ms", r1.text());
        RestartBudget.Restart r3 = assertInstanceOf(RestartBudget.Restart.class, new RestartBudget(2).afterFailure(THREE, false, 0.5));
        assertEquals(Duration.ofMillis(440), r3.delay(), "400 ms, stretched by half of its 20 % jitter");
        assertEquals("restart 3 of 3 in 440ms", r3.text());
    }

    @Test
    void theFailureAfterTheLastRestartSpendsTheBudget() {
        RestartBudget.Exhausted e = assertInstanceOf(RestartBudget.Exhausted.class, new RestartBudget(3).afterFailure(THREE, false, 0.0));
        assertEquals("restart budget spent (3 restarts without a run of 30s)", e.text());
        assertInstanceOf(RestartBudget.Exhausted.class, RestartBudget.fresh().afterFailure(
                new RestartSettings(Duration.ZERO, Duration.ofSeconds(1), 0, Duration.ofSeconds(1), 0, Duration.ZERO), false, 0.0),
                "max-restarts = 0: the first failure is FAILED");
    }

    @Test
    void aStableRunStartsTheBudgetOver() {
        RestartBudget.Restart r = assertInstanceOf(RestartBudget.Restart.class, new RestartBudget(3).afterFailure(THREE, true, 0.0));
        assertEquals(new RestartBudget(1), r.next());
        assertEquals("restart 1 of 3 in 100ms", r.text());
    }
}
