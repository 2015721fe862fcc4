package io.procpool.internal.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.OpResult;
import io.procpool.internal.metrics.PoolMetrics.RestartReason;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The rolling restart as a pure decision: given the ports as the pool sees them, what to do next. */
class RollTest {

    /** Ports as a test describes them; a port is free when it is not assigned and has no instance. */
    private static final class Ports implements Roll.Slots {
        final TreeMap<Integer, Roll.SlotView> views = new TreeMap<>();

        Ports put(int port, boolean assigned, InstanceState state, long seq) {
            views.put(port, new Roll.SlotView(port, assigned, state != InstanceState.STOPPED && state != InstanceState.FAILED
                    && state != InstanceState.BACKOFF, state, seq, "reason of " + port));
            return this;
        }

        @Override
        public Optional<Roll.SlotView> get(int port) {
            return Optional.ofNullable(views.get(port));
        }

        @Override
        public Optional<Integer> lowestFree() {
            return views.values().stream().filter(v -> !v.assigned() && !v.hasInstance()).map(Roll.SlotView::port).findFirst();
        }
    }

    private static Roll.Next begin(Ports ports, Integer... roll) {
        return Roll.begin("svc", List.of(roll), "rolling restart", RestartReason.MANUAL, ports);
    }

    private static OpResult end(Roll.Next next) {
        assertTrue(next.roll().isEmpty(), "the roll is over");
        Roll.Action last = next.actions().get(next.actions().size() - 1);
        return ((Roll.End) last).result();
    }

    @Test
    void notReadyInstancesAreRestartedAtOnceAndReadyOnesGetASurgeReplacement() {
        Ports ports = new Ports().put(1, true, InstanceState.FAILED, 1).put(2, true, InstanceState.HEALTHY, 2)
                .put(3, false, InstanceState.STOPPED, 0);
        Roll.Next next = begin(ports, 1, 2);
        assertEquals(List.of(new Roll.RestartAtOnce(1, "rolling restart: restarting at once (it was FAILED)"),
                new Roll.StartReplacement(2, 3)), next.actions());
        Roll roll = next.roll().orElseThrow();
        assertEquals(new Roll.Surge(2, 3, 0, false), roll.step());
        assertEquals(1, roll.surplus(), "the replacement runs beside the old one");
        assertEquals("rolling restart: 0 of 1 replaced; replacing :2 by :3", roll.describe());

        ports.put(3, true, InstanceState.STARTING, 4);
        assertEquals(List.of(), roll.advance(ports).actions(), "starting: wait");
        ports.put(3, true, InstanceState.HEALTHY, 4);
        Roll.Next retire = roll.advance(ports);
        assertEquals(List.of(new Roll.Retire(2, 3, "rolling restart: replaced by :3")), retire.actions());
        roll = retire.roll().orElseThrow();
        assertEquals(0, roll.surplus());

        ports.put(2, false, InstanceState.STOPPING, 2);
        assertEquals(List.of(), roll.advance(ports).actions(), "the old one is still stopping");
        ports.put(2, false, InstanceState.STOPPED, 2);
        assertEquals(OpResult.ok("restarted 2 instance(s) of svc; restarted at once, not ready: :1 (was FAILED)"),
                end(roll.advance(ports)));
    }

    @Test
    void withoutASparePortAnInstanceIsRestartedInPlace() {
        Ports ports = new Ports().put(1, true, InstanceState.RUNNING, 5);
        Roll roll = begin(ports, 1).roll().orElseThrow();
        assertEquals(new Roll.InPlace(1, 5), roll.step());
        ports.put(1, true, InstanceState.STOPPING, 5);
        assertEquals(List.of(), roll.advance(ports).actions(), "still the old instance");
        ports.put(1, true, InstanceState.STARTING, 6);
        assertEquals(List.of(), roll.advance(ports).actions(), "the new one is not ready yet");
        ports.put(1, true, InstanceState.RUNNING, 6);
        assertEquals(OpResult.ok("restarted 1 instance(s) of svc"), end(roll.advance(ports)));
    }

    @Test
    void aReplacementThatFailsEndsTheRollAndTheOldInstanceKeepsServing() {
        Ports ports = new Ports().put(1, true, InstanceState.HEALTHY, 1).put(2, false, InstanceState.STOPPED, 0);
        Roll roll = begin(ports, 1).roll().orElseThrow();
        ports.put(2, true, InstanceState.BACKOFF, 2);
        Roll.Next failed = roll.advance(ports);
        assertEquals(new Roll.StopReplacement(2, "rolling restart stopped: the replacement failed"), failed.actions().get(0));
        assertEquals(OpResult.failed("rolling restart of svc stopped after 0 of 1: the replacement on :2 went BACKOFF: "
                + "reason of 2; :1 keeps serving"), end(failed));
    }

    @Test
    void aStepPastItsDeadlineEndsTheRollNamingWhatItWaitedFor() {
        Ports ports = new Ports().put(1, true, InstanceState.RUNNING, 1);
        Roll roll = begin(ports, 1).roll().orElseThrow();
        ports.put(1, true, InstanceState.STARTING, 2);
        assertEquals(List.of(), roll.onDeadline(roll.stepNo() - 1, Duration.ofSeconds(100), ports).actions(),
                "the deadline of an earlier step is ignored");
        OpResult result = end(roll.onDeadline(roll.stepNo(), Duration.ofSeconds(105), ports));
        assertEquals(OpResult.failed("rolling restart of svc stopped after 0 of 1: no progress within 1m45s (drain.delay + "
                + "drain.timeout + stop.timeout + 5s + health-check.start-period + 1m): :1 is still STARTING"), result);
    }

    @Test
    void anInstanceThatStoppedServingBeforeItsTurnIsRestartedAtOnce() {
        Ports ports = new Ports().put(1, true, InstanceState.RUNNING, 1).put(2, true, InstanceState.RUNNING, 2);
        Roll roll = begin(ports, 1, 2).roll().orElseThrow();
        ports.put(2, true, InstanceState.BACKOFF, 2); // crashed while :1 was being rolled
        ports.put(1, true, InstanceState.RUNNING, 3);
        Roll.Next next = roll.advance(ports);
        assertEquals(List.of(new Roll.RestartAtOnce(2, "rolling restart: restarting at once (it was BACKOFF)")),
                next.actions().subList(0, 1));
        assertEquals(OpResult.ok("restarted 2 instance(s) of svc; restarted at once, not ready: :2 (was BACKOFF)"), end(next));
    }

    @Test
    void portsThatLeaveTheConfigurationAreLeftOut() {
        Ports ports = new Ports().put(1, true, InstanceState.RUNNING, 1).put(2, true, InstanceState.RUNNING, 2);
        Roll roll = begin(ports, 1, 2).roll().orElseThrow();
        ports.views.remove(2);
        ports.put(1, true, InstanceState.RUNNING, 3);
        assertEquals(OpResult.ok("restarted 1 instance(s) of svc"), end(roll.forget(Set.of(2), ports)));
    }

    @Test
    void anAbortedSurgeStopsItsReplacement() {
        Ports ports = new Ports().put(1, true, InstanceState.HEALTHY, 1).put(2, false, InstanceState.STOPPED, 0);
        Roll roll = begin(ports, 1).roll().orElseThrow();
        Roll.Next aborted = roll.abort("svc was stopped");
        assertEquals(new Roll.StopReplacement(2, "rolling restart stopped: svc was stopped"), aborted.actions().get(0));
        assertEquals(OpResult.failed("rolling restart of svc stopped: svc was stopped"), end(aborted));
    }
}
