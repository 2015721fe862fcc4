package io.procpool.internal.cluster;

import io.procpool.config.PoolSettings;
import io.procpool.internal.clustering.ClusterView;
import io.procpool.internal.supervision.PoolClient;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SelfRemoved;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The root of a node's cluster actor system: this node's {@link NodeAgent}, its part in the
 * {@link PlacementCoordinator} singleton, and the watch for the one event that must stop every
 * instance here at once: this node downed (or removed) by the cluster.
 */
final class ClusterGuardian {

    interface Command {
    }

    /** Hand this node's share over to the others (it is about to leave); answer when they run it ready. */
    record HandOver(org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.Done> replyTo) implements Command {
    }

    /** This node is about to leave: the other nodes' gateways drain its instances first; answer when they have. */
    record Withdraw(org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.Done> replyTo) implements Command {
    }

    private record Downed(ClusterEvent.MemberDowned event) implements Command {
    }

    private record Removed(SelfRemoved event) implements Command {
    }

    private ClusterGuardian() {
    }

    /**
     * @param downed called (perhaps more than once) when this node learns it was downed or removed
     */
    static Behavior<Command> create(PoolSettings settings, PoolClient door, ClusterView view, Consumer<String> downed) {
        return Behaviors.setup(ctx -> {
            Cluster cluster = Cluster.get(ctx.getSystem());
            var coordinator = ClusterSingleton.get(ctx.getSystem()).init(SingletonActor.of(PlacementCoordinator.create(settings), "placement"));
            var agent = ctx.spawn(NodeAgent.create(settings, door, view, coordinator), "agent");
            cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberDowned.class, Downed::new),
                    ClusterEvent.MemberDowned.class));
            cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(SelfRemoved.class, Removed::new), SelfRemoved.class));
            return Behaviors.receive(Command.class)
                    .onMessage(HandOver.class, m -> {
                        agent.tell(new NodeAgent.HandOver(m.replyTo()));
                        return Behaviors.same();
                    })
                    .onMessage(Withdraw.class, m -> {
                        agent.tell(new NodeAgent.Withdraw(m.replyTo()));
                        return Behaviors.same();
                    })
                    .onMessage(Downed.class, m -> {
                        if (m.event().member().uniqueAddress().equals(cluster.selfMember().uniqueAddress())) {
                            downed.accept("the cluster marked it down");
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Removed.class, m -> {
                        downed.accept("the cluster removed it (it was " + m.event().previousStatus() + ")");
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
