package io.procpool.supervision;

import io.procpool.InstanceState;
import io.procpool.OpResult;
import io.procpool.metrics.PoolMetrics.RestartReason;
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
 *   <li>With a spare port (fewer instances than ports) the replacement starts there first; the old
 *       instance leaves the ready set and stops only once the replacement is ready ("surge"): no
 *       capacity is lost at all.</li>
 *   <li>Without one, the old instance is stopped and started again on its own port.</li>
 *   <li>A replacement that fails (BACKOFF, UNHEALTHY, FAILED) stops the roll: in surge mode it is
 *       stopped and the old instance keeps serving; the answer says why.</li>
 * </ul>
 *
 * Not an actor: its methods run inside the PoolActor's message handlers.
 */
final class Roll {

    private final PoolActor pool;
    private final Deque<Integer> remaining = new ArrayDeque<>();
    private final List<ActorRef<OpResult>> waiters = new ArrayList<>();
    private boolean active;
    private String why = "rolling restart";
    private RestartReason reason = RestartReason.MANUAL;
    private int total;
    private int replaced;
    /** The step under way: the instance being replaced and the port of its replacement. */
    private Slot old;
    private Slot replacement;
    /** The replacement's spawn, so that reports of the instance it replaces are not taken for it. */
    private long replacementSeq;
    /** Surge: the replacement is ready and the old instance is stopping. */
    private boolean retiringOld;

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
     * Replaces the instances on {@code ports}, one at a time.
     *
     * @param replyTo who gets the outcome, or null
     * @param why what the replacement is for, in logs and the status
     * @param reason how the replacements count in {@code procpool_restarts_total}
     */
    void begin(List<Integer> ports, ActorRef<OpResult> replyTo, String why, RestartReason reason) {
        active = true;
        this.why = why;
        this.reason = reason;
        if (replyTo != null) {
            waiters.add(replyTo);
        }
        remaining.addAll(ports);
        total = remaining.size();
        replaced = 0;
        pool.log("{}: {}: replacing {} instance(s)", pool.name(), why, total);
        next();
    }

    /** How the instance restarted in place by this roll counts. */
    RestartReason reason() {
        return reason;
    }

    void addWaiter(ActorRef<OpResult> replyTo) {
        waiters.add(replyTo);
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

    /** Ends the roll early (the service is being stopped), telling the waiters. */
    void abort(String why) {
        if (active) {
            end(OpResult.failed(this.why + " of " + pool.name() + " stopped: " + why));
        }
    }

    private void next() {
        old = null;
        replacement = null;
        retiringOld = false;
        while (!remaining.isEmpty()) {
            Slot candidate = pool.slot(remaining.poll());
            if (!candidate.assigned) {
                continue; // scaled away or replaced meanwhile
            }
            old = candidate;
            Optional<Slot> spare = pool.lowestFree();
            if (spare.isPresent()) {
                replacement = spare.get();
                replacement.assigned = true;
                pool.spawn(replacement);
                replacementSeq = replacement.spawnSeq;
                pool.log("{}: {}: starting a replacement for :{} on :{}", pool.name(), why, old.port, replacement.port);
            } else {
                replacement = old;
                replacementSeq = -1; // the next spawn on this port
                old.respawnAfterStop = true;
                pool.log("{}: {}: restarting :{} in place", pool.name(), why, old.port);
                pool.stopInstance(old, why + ": restarting in place");
            }
            pool.publish();
            return;
        }
        end(OpResult.ok("restarted " + replaced + " instance(s) of " + pool.name()
                + (why.equals("rolling restart") ? "" : " (" + why + ")")));
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
                pool.metrics().restarted(pool.name(), reason);
                retiringOld = true;
                old.assigned = false;
                pool.stopInstance(old, why + ": replaced by :" + replacement.port);
            }
        } else if (state == InstanceState.BACKOFF || state == InstanceState.UNHEALTHY || state == InstanceState.FAILED) {
            String failure = "the replacement on :" + slot.port + " went " + state + ": " + slot.reason;
            if (old != replacement) {
                replacement.assigned = false;
                pool.stopInstance(replacement, why + " stopped: the replacement failed");
                failure += "; :" + old.port + " keeps serving";
            }
            end(OpResult.failed(why + " of " + pool.name() + " stopped after " + replaced + " of " + total + ": " + failure));
        }
    }

    /** Called when the instance actor on {@code slot} is gone. */
    void onVacated(Slot slot) {
        if (active && retiringOld && slot == old) {
            next();
        }
    }

    private void end(OpResult result) {
        if (result.ok()) {
            pool.log("{}: {}", pool.name(), result.message());
        } else {
            pool.warn("{}: {}", pool.name(), result.message());
        }
        waiters.forEach(w -> w.tell(result));
        waiters.clear();
        remaining.clear();
        active = false;
        old = null;
        replacement = null;
        retiringOld = false;
        pool.publish();
    }
}
