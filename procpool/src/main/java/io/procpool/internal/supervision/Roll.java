package io.procpool.internal.supervision;

import io.procpool.api.InstanceState;
import io.procpool.api.OpResult;
import io.procpool.internal.metrics.PoolMetrics.RestartReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A rolling restart of one service, as a pure decision: given what the pool sees of its ports, it
 * says what to do next, and the {@link PoolActor} does it. Immutable; every method returns the
 * roll that follows and the {@link Action}s to carry out.
 *
 * <ul>
 *   <li>Instances that are not ready when the roll reaches them (FAILED, BACKOFF, STARTING,
 *       UNHEALTHY) carry no traffic, so there is no capacity to keep: they are restarted at once,
 *       with a fresh restart budget, and the roll does not wait for them.</li>
 *   <li>With a spare port (fewer instances than ports) the replacement of a ready instance starts
 *       there first; the old instance leaves the ready set and stops only once the replacement is
 *       ready ("surge"): no capacity is lost at all.</li>
 *   <li>Without one, the old instance is stopped and started again on its own port.</li>
 *   <li>A replacement that fails (BACKOFF, UNHEALTHY, FAILED) ends the roll: in surge mode it is
 *       stopped and the old instance keeps serving; the answer says why.</li>
 *   <li>A step that makes no progress within {@link OperationDeadlines#rollStep} ends the roll,
 *       naming what it waited for: no roll can wait forever.</li>
 * </ul>
 *
 * @param service the service, for messages
 * @param why what the replacement is for ("rolling restart", "configuration changed", ...)
 * @param reason how the replacements count in {@code procpool_restarts_total}
 * @param remaining ports still to be replaced, in order
 * @param total the ready instances the roll set out to replace
 * @param replaced how many of them have been
 * @param atOnce instances restarted at once because they were not ready: ":18200 (was FAILED)"
 * @param step the step under way
 * @param stepNo numbers the steps, so that the deadline of a step already over is ignored
 */
record Roll(String service, String why, RestartReason reason, List<Integer> remaining, int total, int replaced,
            List<String> atOnce, Step step, long stepNo) {

    /** Copies the lists: a roll is immutable. */
    Roll {
        remaining = List.copyOf(remaining);
        atOnce = List.copyOf(atOnce);
    }

    /** What the pool sees of one port. */
    record SlotView(int port, boolean assigned, boolean hasInstance, InstanceState state, long spawnSeq, String reason) {
        boolean ready() {
            return hasInstance && (state == InstanceState.HEALTHY || state == InstanceState.RUNNING);
        }

        boolean failed() {
            return state == InstanceState.BACKOFF || state == InstanceState.UNHEALTHY || state == InstanceState.FAILED;
        }
    }

    /** The pool's ports, as the roll may look at them. */
    interface Slots {
        /** The port, unless it has left the configuration. */
        Optional<SlotView> get(int port);

        /** The lowest port with no instance and none wanted there. */
        Optional<Integer> lowestFree();
    }

    /** The step under way. */
    sealed interface Step {
    }

    /** No step under way (the roll has just begun, or is over). */
    record Between() implements Step {
    }

    /** The instance on {@code port} is being restarted there; its replacement is the first spawn after {@code spawnedBefore}. */
    record InPlace(int port, long spawnedBefore) implements Step {
    }

    /**
     * The instance on {@code old} is being replaced by one on the spare port {@code replacement}
     * (spawned after {@code spawnedBefore}); {@code retiring}: the replacement is ready and the old
     * one is stopping.
     */
    record Surge(int old, int replacement, long spawnedBefore, boolean retiring) implements Step {
    }

    /** What the pool is to do. */
    sealed interface Action {
    }

    /** Restart the instance on {@code port} now (it is not ready), with a fresh restart budget. */
    record RestartAtOnce(int port, String why) implements Action {
    }

    /** Assign the spare port and start a replacement for {@code old} there. */
    record StartReplacement(int old, int spare) implements Action {
    }

    /** Stop the instance on {@code port} and start it again there. */
    record RestartInPlace(int port, String why) implements Action {
    }

    /** The replacement on {@code replacement} is ready: unassign {@code old} and stop it. */
    record Retire(int old, int replacement, String why) implements Action {
    }

    /** A surge replacement that will not take over: unassign it and stop it. */
    record StopReplacement(int port, String why) implements Action {
    }

    /** The roll is over: answer {@code result}. */
    record End(OpResult result) implements Action {
    }

    /** The roll that follows (empty once it is over) and what to do. */
    record Next(Optional<Roll> roll, List<Action> actions) {
    }

    /**
     * Begins a roll over {@code ports}: those not ready are restarted at once, the ready ones are
     * replaced one at a time from here.
     */
    static Next begin(String service, List<Integer> ports, String why, RestartReason reason, Slots slots) {
        List<Action> actions = new ArrayList<>();
        List<Integer> ready = new ArrayList<>();
        List<String> atOnce = new ArrayList<>();
        for (int port : ports) {
            Optional<SlotView> v = slots.get(port).filter(SlotView::assigned);
            if (v.isEmpty()) {
                continue;
            }
            if (v.get().ready()) {
                ready.add(port);
            } else {
                atOnce.add(":" + port + " (was " + v.get().state() + ")");
                actions.add(new RestartAtOnce(port, why + ": restarting at once (it was " + v.get().state() + ")"));
            }
        }
        Roll roll = new Roll(service, why, reason, ready, ready.size(), 0, atOnce, new Between(), 0);
        Next next = roll.next(slots);
        actions.addAll(next.actions());
        return new Next(next.roll(), actions);
    }

    /** After any change of the pool's slots: the step under way goes on, ends, or fails. */
    Next advance(Slots slots) {
        if (step instanceof InPlace p) {
            Optional<SlotView> v = slots.get(p.port()).filter(SlotView::assigned);
            if (v.isEmpty()) {
                return next(slots); // its port left the configuration or the service: nothing to wait for
            }
            if (v.get().spawnSeq() <= p.spawnedBefore()) {
                return stay(); // still the old instance, stopping
            }
            if (v.get().ready()) {
                return with(replaced + 1).next(slots);
            }
            return v.get().failed() ? fail("the replacement on :" + p.port() + " went " + v.get().state() + ": " + v.get().reason())
                    : stay();
        }
        if (step instanceof Surge s && !s.retiring()) {
            Optional<SlotView> repl = slots.get(s.replacement()).filter(SlotView::assigned);
            if (repl.isEmpty() || slots.get(s.old()).filter(SlotView::assigned).isEmpty()) {
                return next(slots);
            }
            if (repl.get().spawnSeq() <= s.spawnedBefore()) {
                return stay();
            }
            if (repl.get().ready()) {
                Roll retiring = new Roll(service, why, reason, remaining, total, replaced + 1, atOnce,
                        new Surge(s.old(), s.replacement(), s.spawnedBefore(), true), stepNo);
                return new Next(Optional.of(retiring), List.of(new Retire(s.old(), s.replacement(),
                        why + ": replaced by :" + s.replacement())));
            }
            return repl.get().failed() ? fail("the replacement on :" + s.replacement() + " went " + repl.get().state() + ": "
                    + repl.get().reason()) : stay();
        }
        if (step instanceof Surge s) {
            boolean oldGone = slots.get(s.old()).map(v -> !v.hasInstance()).orElse(true);
            return oldGone ? next(slots) : stay();
        }
        return stay();
    }

    /** Ports that left the configuration: a roll still to reach one has nothing there to replace. */
    Next forget(Set<Integer> ports, Slots slots) {
        List<Integer> left = remaining.stream().filter(p -> !ports.contains(p)).toList();
        return new Roll(service, why, reason, left, total, replaced, atOnce, step, stepNo).advance(slots);
    }

    /** The deadline of step {@code n} has passed: if that step is still under way, the roll gives up. */
    Next onDeadline(long n, Duration waited, Slots slots) {
        if (n != stepNo || step instanceof Between) {
            return stay();
        }
        String waitingFor;
        if (step instanceof InPlace p) {
            waitingFor = ":" + p.port() + " is still " + slots.get(p.port()).map(SlotView::state).orElse(InstanceState.STOPPED);
        } else {
            Surge s = (Surge) step;
            waitingFor = s.retiring()
                    ? ":" + s.old() + " is still " + slots.get(s.old()).map(SlotView::state).orElse(InstanceState.STOPPED) + " (being retired)"
                    : ":" + s.replacement() + " is still " + slots.get(s.replacement()).map(SlotView::state).orElse(InstanceState.STOPPED);
        }
        return fail("no progress within " + Backoff.format(waited) + " (drain.delay + drain.timeout + stop.timeout + 5s + health-check.start-period + "
                + Backoff.format(OperationDeadlines.MARGIN) + "): " + waitingFor);
    }

    /** Ends the roll early (the service is being stopped, or reconfigured again). */
    Next abort(String cause) {
        List<Action> actions = new ArrayList<>();
        if (step instanceof Surge s && !s.retiring()) {
            actions.add(new StopReplacement(s.replacement(), why + " stopped: " + cause));
        }
        actions.add(new End(OpResult.failed(why + " of " + service + " stopped: " + cause)));
        return new Next(Optional.empty(), actions);
    }

    /** Instances beyond the desired count that the roll runs: a surge replacement beside its old instance. */
    int surplus() {
        return step instanceof Surge s && !s.retiring() ? 1 : 0;
    }

    /** What is under way, for the status. */
    String describe() {
        String now = step instanceof InPlace p ? "; restarting :" + p.port()
                : step instanceof Surge s ? "; replacing :" + s.old() + " by :" + s.replacement() : "";
        return why + ": " + replaced + " of " + total + " replaced" + now;
    }

    /** A one-line answer for someone who asks for another operation meanwhile. */
    String busy() {
        return service + ": " + describe() + " is under way; wait for it to end (GET /status/" + service + " follows it)";
    }

    private Next next(Slots slots) {
        List<Action> actions = new ArrayList<>();
        List<String> restarted = new ArrayList<>(atOnce);
        List<Integer> left = new ArrayList<>(remaining);
        while (!left.isEmpty()) {
            int port = left.remove(0);
            Optional<SlotView> v = slots.get(port).filter(SlotView::assigned);
            if (v.isEmpty()) {
                continue; // scaled away or replaced meanwhile
            }
            if (!v.get().ready()) {
                // It stopped serving since the roll began: nothing to wait for.
                restarted.add(":" + port + " (was " + v.get().state() + ")");
                actions.add(new RestartAtOnce(port, why + ": restarting at once (it was " + v.get().state() + ")"));
                continue;
            }
            Optional<Integer> spare = slots.lowestFree();
            Step next;
            if (spare.isPresent()) {
                next = new Surge(port, spare.get(), slots.get(spare.get()).map(SlotView::spawnSeq).orElse(0L), false);
                actions.add(new StartReplacement(port, spare.get()));
            } else {
                next = new InPlace(port, v.get().spawnSeq());
                actions.add(new RestartInPlace(port, why + ": restarting in place"));
            }
            Roll roll = new Roll(service, why, reason, left, total, replaced, restarted, next, stepNo + 1);
            return new Next(Optional.of(roll), actions);
        }
        String tail = restarted.isEmpty() ? "" : "; restarted at once, not ready: " + String.join(", ", restarted);
        actions.add(new End(OpResult.ok("restarted " + (replaced + restarted.size()) + " instance(s) of " + service
                + (why.equals("rolling restart") ? "" : " (" + why + ")") + tail)));
        return new Next(Optional.empty(), actions);
    }

    private Next fail(String failure) {
        List<Action> actions = new ArrayList<>();
        String detail = failure;
        if (step instanceof Surge s && !s.retiring()) {
            actions.add(new StopReplacement(s.replacement(), why + " stopped: the replacement failed"));
            detail += "; :" + s.old() + " keeps serving";
        }
        actions.add(new End(OpResult.failed(why + " of " + service + " stopped after " + replaced + " of " + total + ": " + detail)));
        return new Next(Optional.empty(), actions);
    }

    private Roll with(int replacedNow) {
        return new Roll(service, why, reason, remaining, total, replacedNow, atOnce, step, stepNo);
    }

    private Next stay() {
        return new Next(Optional.of(this), List.of());
    }
}
