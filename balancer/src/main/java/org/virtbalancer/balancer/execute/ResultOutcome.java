package org.virtbalancer.balancer.execute;

/** What a command result meant for a migration the balancer tracks. */
public sealed interface ResultOutcome {
    /** Not one of ours, or a repeat of a result already handled. */
    record Ignored() implements ResultOutcome {}

    /** Accepted or progressing. */
    record Progressed(Migration migration) implements ResultOutcome {}

    /** Done: the guest is on the target. {@code late} when it arrives after the balancer gave up on it. */
    record Succeeded(Migration migration, boolean late) implements ResultOutcome {}

    /** Failed or rejected by the agent. */
    record Failed(Migration migration, String reason) implements ResultOutcome {}
}
