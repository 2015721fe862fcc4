package io.procpool.supervision;

import io.procpool.InstanceState;
import io.procpool.OpResult;
import io.procpool.metrics.PoolMetrics.RestartReason;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A rolling restart of one service, driven by its {@link PoolActor}: every instance is replaced,
 * one at a time, and the next only once the replacement is ready, so the service never loses more
 * than one instance of capacity.
 *
 * <ul>
 *   <li>Instances that are not ready when the roll reaches them (FAILED, BACKOFF, STARTING,
 *       UNHEALTHY) carry no traffic, so there is no capacity to keep: they are restarted at once,
 *       with a fresh restart budget, and the roll does not wait for them.</li>
 *   <li>With a spare port (fewer instances than ports) the replacement of a ready instance starts
 *       there first; the old instance leaves the ready set and stops only once the replacement is
 *       ready ("surge"): no capacity is lost at all.</li>
 *   <li>Without one, the old instance is stopped and started again on its own port.</li>
 *   <li>A replacement that fails (BACKOFF, UNHEALTHY, FAILED) stops the roll: in surge mode it is
 *       stopped and the old instance keeps serving; the answer says why.</li>
 *   <li>A step that makes no progress within {@link OperationDeadlines#rollStep} ends the roll,
 *       naming what it waited for: no roll can wait forever.</li>
 * </ul>
 *
 * Not an actor: its methods run inside the PoolActor's message handlers.
 */
final class Roll {

    private final PoolActor pool;
    private final Deque<Integer> remaining = new ArrayDeque<>();
    private ActorRef<OpResult> replyTo;
    private boolean active;
    private String why = "rolling restart";
    private RestartReason reason = RestartReason.MANUAL;
    private int total;
    private int replaced;
    /** Instances that were not ready, restarted at once without waiting: ":18200 (was FAILED)". */
    private final List<String> restartedAtOnce = new ArrayList<>();
    /** The step under way: the instance being replaced and the port of its replacement. */
    private Slot old;
    private Slot replacement;
    /** The replacement's spawn, so that reports of the instance it replaces are not taken for it. */
    private long replacementSeq;
    /** Surge: the replacement is ready and the old instance is stopping. */
    private boolean retiringOld;
    /** Numbers the steps, so that the deadline of a step already over is ignored. */
    private long step;

    Roll(PoolActor pool) {
        this.pool = pool;
    }

    boolean active() {
        return active;
    }

    /** Instances beyond the desired count that the roll runs: a surge replacement beside its old instance. */
    int surplus() {
        return active && old != null && replacement != null && old != replacement && old.assigned ? 1 : 0;
    }

    /** Replaces every assigned instance (a rolling restart), answering {@code replyTo} at the end. */
    void begin(ActorRef<OpResult> replyTo) {
        begin(pool.assigned().stream().map(s -> s.port).toList(), replyTo, "rolling restart", RestartReason.MANUAL);
    }

    /**
     * Replaces the instances on {@code ports}: those not ready at once, the ready ones one at a time.
     *
     * @param replyTo who gets the outcome, or null
     * @param why what the replacement is for, in logs and the status
     * @param reason how the replacements count in {@code procpool_restarts_total}
     */
    void begin(List<Integer> ports, ActorRef<OpResult> replyTo, String why, RestartReason reason) {
        active = true;
        this.why = why;
        this.reason = reason;
        this.replyTo = replyTo;
        pool.operationStarted(why);
        restartedAtOnce.clear();
        remaining.clear();
        for (int port : ports) {
            Slot slot = pool.slot(port);
            if (slot != null && slot.assigned && !slot.ready()) {
                restartAtOnce(slot);
            } else {
                remaining.add(port);
            }
        }
        total = remaining.size();
        replaced = 0;
        pool.log("{}: {}: replacing {} instance(s){}", pool.name(), why, total + restartedAtOnce.size(),
                restartedAtOnce.isEmpty() ? "" : " (" + String.join(", ", restartedAtOnce) + " restarted at once: not ready)");
        next();
    }

    private void restartAtOnce(Slot slot) {
        restartedAtOnce.add(":" + slot.port + " (was " + slot.state + ")");
        pool.restartNow(slot, why + ": restarting at once (it was " + slot.state + ")", reason);
    }

    /** What is under way, for the status. */
    Optional<String> describe() {
        if (!active) {
            return Optional.empty();
        }
        String step = old == null ? "" : old == replacement ? "; restarting :" + old.port
                : "; replacing :" + old.port + " by :" + replacement.port;
        return Optional.of(why + ": " + replaced + " of " + total + " replaced" + step);
    }

    /** A one-line answer for someone who asks for another operation meanwhile. */
    String busy() {
        return pool.name() + ": " + describe().orElse(why) + " is under way; wait for it to end (GET /status/"
                + pool.name() + " follows it)";
    }

    /**
     * Ports that left the configuration (their slots already unassigned): a roll still to reach
     * one has nothing there to replace; a step under way on one (its instance, or the spare port
     * of its replacement) has nothing left to wait for, and the roll goes on with the next.
     */
    void forget(java.util.Set<Integer> ports) {
        remaining.removeAll(ports);
        if (active && old != null && !retiringOld
                && (ports.contains(old.port) || (replacement != null && ports.contains(replacement.port)))) {
            pool.log("{}: {}: :{} left the configuration; going on with the next", pool.name(), why,
                    ports.contains(old.port) ? old.port : replacement.port);
            next();
        }
    }

    /** Ends the roll early (the service is being stopped), telling the waiter. */
    void abort(String why) {
        if (active) {
            end(OpResult.failed(this.why + " of " + pool.name() + " stopped: " + why));
        }
    }

    private void next() {
        old = null;
        replacement = null;
        retiringOld = false;
        step++;
        while (!remaining.isEmpty()) {
            Slot candidate = pool.slot(remaining.poll());
            if (candidate == null || !candidate.assigned) {
                continue; // scaled away or replaced meanwhile
            }
            if (!candidate.ready()) {
                restartAtOnce(candidate); // it stopped serving since the roll began: nothing to wait for
                continue;
            }
            old = candidate;
            Optional<Slot> spare = pool.lowestFree();
            if (spare.isPresent()) {
                replacement = spare.get();
                replacement.assigned = true;
                pool.spawnReplacement(replacement, old, reason);
                replacementSeq = replacement.spawnSeq;
                pool.log("{}: {}: starting a replacement for :{} on :{}", pool.name(), why, old.port, replacement.port);
            } else {
                replacement = old;
                replacementSeq = -1; // the next spawn on this port
                pool.log("{}: {}: restarting :{} in place", pool.name(), why, old.port);
                pool.restartNow(old, why + ": restarting in place", reason);
            }
            pool.armRollDeadline(step, OperationDeadlines.rollStep(pool.settings()));
            pool.publish();
            return;
        }
        String atOnce = restartedAtOnce.isEmpty() ? "" : "; restarted at once, not ready: " + String.join(", ", restartedAtOnce);
        end(OpResult.ok("restarted " + (replaced + restartedAtOnce.size()) + " instance(s) of " + pool.name()
                + (why.equals("rolling restart") ? "" : " (" + why + ")") + atOnce));
    }

    /** Called on every state change of every slot of the pool. */
    void onStateChanged(Slot slot) {
        if (!active || slot != replacement || retiringOld) {
            return;
        }
        if (replacementSeq == -1 && slot.ref != null && !slot.respawnAfterStop) {
            replacementSeq = slot.spawnSeq; // the in-place replacement has been spawned
        }
        if (slot.spawnSeq != replacementSeq) {
            return; // still the old instance on this port, stopping
        }
        InstanceState state = slot.state;
        if (state == InstanceState.HEALTHY || state == InstanceState.RUNNING) {
            replaced++;
            if (old == replacement) {
                next();
            } else {
                retiringOld = true;
                old.assigned = false;
                pool.stopInstance(old, why + ": replaced by :" + replacement.port);
            }
        } else if (state == InstanceState.BACKOFF || state == InstanceState.UNHEALTHY || state == InstanceState.FAILED) {
            end(OpResult.failed(why + " of " + pool.name() + " stopped after " + replaced + " of " + total + ": "
                    + stopReplacement("the replacement on :" + slot.port + " went " + state + ": " + slot.reason)));
        }
    }

    /** In surge mode, stops a replacement that will not take over; the old instance keeps serving. */
    private String stopReplacement(String failure) {
        if (old != replacement && !retiringOld) {
            replacement.assigned = false;
            pool.stopInstance(replacement, why + " stopped: the replacement failed");
            return failure + "; :" + old.port + " keeps serving";
        }
        return failure;
    }

    /** Called when the instance actor on {@code slot} is gone. */
    void onVacated(Slot slot) {
        if (active && retiringOld && slot == old) {
            next();
        }
    }

    /** The deadline of step {@code n} has passed: if that step is still under way, the roll gives up. */
    void onDeadline(long n, Duration waited) {
        if (!active || n != step || old == null) {
            return;
        }
        String waitingFor = retiringOld ? ":" + old.port + " is still " + old.state + " (being retired)"
                : ":" + replacement.port + " is still " + replacement.state;
        end(OpResult.failed(why + " of " + pool.name() + " stopped after " + replaced + " of " + total
                + ": no progress within " + Backoff.format(waited) + " (stop.timeout + 5s + health-check.start-period + "
                + Backoff.format(OperationDeadlines.MARGIN) + "): " + stopReplacement(waitingFor)));
    }

    private void end(OpResult result) {
        if (result.ok()) {
            pool.log("{}: {}", pool.name(), result.message());
        } else {
            pool.warn("{}: {}", pool.name(), result.message());
        }
        if (replyTo != null) {
            replyTo.tell(result);
            replyTo = null;
        }
        remaining.clear();
        active = false;
        old = null;
        replacement = null;
        retiringOld = false;
        pool.cancelRollDeadline();
        pool.operationEnded(why, result);
        pool.publish();
    }
}
