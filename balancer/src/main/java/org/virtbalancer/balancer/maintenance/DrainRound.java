package org.virtbalancer.balancer.maintenance;

import org.virtbalancer.balancer.plan.Move;
import org.virtbalancer.protocol.BlockedGuest;

import java.util.List;

/**
 * What one round of a drain decided.
 *
 * @param moves   moves to issue now (or recommend, under manual automation)
 * @param blocked guests that cannot leave now, each with its reason
 * @param waiting guests that can leave but wait for a free migration slot
 */
public record DrainRound(List<Move> moves, List<BlockedGuest> blocked, List<String> waiting) {
    public static final DrainRound NONE = new DrainRound(List.of(), List.of(), List.of());

    public DrainRound {
        moves = List.copyOf(moves);
        blocked = List.copyOf(blocked);
        waiting = List.copyOf(waiting);
    }
}
