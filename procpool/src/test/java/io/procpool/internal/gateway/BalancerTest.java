package io.procpool.internal.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.procpool.config.GatewaySettings.Balance;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class BalancerTest {

    private static Backend backend(int port, int inFlight) {
        Backend b = new Backend("svc", port);
        for (int i = 0; i < inFlight; i++) {
            b.begin();
        }
        return b;
    }

    /** A random source that answers the given numbers in turn. */
    private static java.util.function.IntUnaryOperator scripted(Integer... values) {
        Deque<Integer> left = new ArrayDeque<>(List.of(values));
        return bound -> {
            int v = left.removeFirst();
            if (v >= bound) {
                throw new AssertionError(v + " is not below " + bound);
            }
            return v;
        };
    }

    @Test
    void roundRobinTakesEachInTurn() {
        Backend[] set = {backend(1, 0), backend(2, 5), backend(3, 0)};
        Balancer rr = new Balancer(Balance.ROUND_ROBIN, bound -> 0);
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            order.append(rr.choose(set).port());
        }
        assertEquals("123123", order.toString());
    }

    @Test
    void leastRequestsTakesTheOneWithFewestInFlight() {
        Backend[] set = {backend(1, 3), backend(2, 1), backend(3, 2)};
        assertEquals(2, new Balancer(Balance.LEAST_REQUESTS, bound -> 0).choose(set).port());
    }

    @Test
    void powerOfTwoChoicesComparesTwoDistinctOnes() {
        Backend[] set = {backend(1, 4), backend(2, 1), backend(3, 0)};
        // picks 0 and then 0 of the remaining two (index 1): ports 1 and 2; port 2 has fewer.
        assertEquals(2, new Balancer(Balance.P2C, scripted(0, 0)).choose(set).port());
        // picks 2 and then 1: ports 3 and 2; port 3 has fewer.
        assertEquals(3, new Balancer(Balance.P2C, scripted(2, 1)).choose(set).port());
        // picks 1 and then 1, which skips past the first pick to index 2: ports 2 and 3.
        assertEquals(3, new Balancer(Balance.P2C, scripted(1, 1)).choose(set).port());
    }

    @Test
    void onATieTheFirstPickStays() {
        Backend[] set = {backend(1, 1), backend(2, 1)};
        assertEquals(2, new Balancer(Balance.P2C, scripted(1, 0)).choose(set).port());
    }

    @Test
    void aSingleCandidateIsTakenWithoutAsking() {
        Backend only = backend(1, 9);
        assertSame(only, new Balancer(Balance.P2C, bound -> {
            throw new AssertionError("no random number needed");
        }).choose(new Backend[] {only}));
    }
}
