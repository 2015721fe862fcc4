package io.procpool.internal.supervision;

import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.ServiceStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;

/** Waits on the statuses a pool pushes until one shows what a test expects. */
final class StatusProbe {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private StatusProbe() {
    }

    /** The first status (skipping older ones) in which {@code condition} holds. */
    static ServiceStatus await(TestProbe<ServiceStatus> probe, Predicate<ServiceStatus> condition) {
        List<ServiceStatus> seen = probe.fishForMessage(WAIT,
                s -> condition.test(s) ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
        return seen.get(seen.size() - 1);
    }

    /** Every status up to and including the first in which {@code condition} holds. */
    static List<ServiceStatus> collect(TestProbe<ServiceStatus> probe, Predicate<ServiceStatus> condition) {
        // continueAndCollect (not continueAndIgnore) keeps every status on the way in the returned list.
        return probe.fishForMessage(WAIT, s -> condition.test(s) ? FishingOutcomes.complete() : FishingOutcomes.continueAndCollect());
    }

    /** The first status in which the instance on {@code port} is in {@code state}; returns that instance. */
    static InstanceStatus awaitInstance(TestProbe<ServiceStatus> probe, int port, InstanceState state) {
        ServiceStatus s = await(probe, st -> instance(st, port).map(i -> i.state() == state).orElse(false));
        return instance(s, port).orElseThrow();
    }

    /** The first status in which the instance on {@code port} satisfies {@code condition}. */
    static InstanceStatus awaitInstance(TestProbe<ServiceStatus> probe, int port, Predicate<InstanceStatus> condition) {
        ServiceStatus s = await(probe, st -> instance(st, port).map(condition::test).orElse(false));
        return instance(s, port).orElseThrow();
    }

    static Optional<InstanceStatus> instance(ServiceStatus s, int port) {
        return s.instances().stream().filter(i -> i.port() == port).findFirst();
    }
}
