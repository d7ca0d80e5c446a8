package org.virtbalancer.protocol;

/**
 * A balancer became leader: written in its first Kafka transaction under the leaders' shared
 * {@code transactional.id}, after that transaction's {@code initTransactions} fenced every earlier
 * leader. Epochs only grow: each new leader takes the last committed one plus one and stamps it
 * on every command, so agents can refuse a command from an older leader.
 *
 * @param epoch    the new leader's epoch, at least 1
 * @param balancer the leader's id
 */
public record LeaderEpoch(long epoch, String balancer) implements Message {
    public LeaderEpoch {
        Check.positive("epoch", epoch);
        Check.name("balancer", balancer);
    }
}
