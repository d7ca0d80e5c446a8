package org.virtbalancer.balancer.execute;

import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.ResultStatus;

/**
 * A migration the balancer issued and is waiting on.
 *
 * @param commandId the Migrate command's id
 * @param command   what was sent
 * @param purpose   balancing or maintenance
 * @param startedAt when it was issued
 * @param status    last status reported (ACCEPTED until the agent says more)
 * @param percent   last progress reported
 */
public record Migration(String commandId, Migrate command, Purpose purpose, long startedAt, ResultStatus status,
                        int percent) {
    public String guest() {
        return command.guest();
    }

    public String source() {
        return command.source();
    }

    public String target() {
        return command.target();
    }

    public MigrationMode mode() {
        return command.mode();
    }

    public long deadlineTs() {
        return command.deadlineTs();
    }

    public Migration withProgress(ResultStatus newStatus, int newPercent) {
        return new Migration(commandId, command, purpose, startedAt, newStatus, Math.max(percent, newPercent));
    }
}
