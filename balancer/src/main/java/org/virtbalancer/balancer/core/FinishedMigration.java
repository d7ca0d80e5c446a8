package org.virtbalancer.balancer.core;

import org.virtbalancer.balancer.execute.Purpose;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.ResultStatus;

/**
 * A migration that has ended, as the recent-history part of a snapshot shows it.
 *
 * @param commandId  the Migrate command's id
 * @param guest      domain name
 * @param source     from
 * @param target     to
 * @param mode       kind of migration
 * @param purpose    balancing, maintenance or an operator's request
 * @param status     SUCCEEDED, FAILED or REJECTED (a migration the balancer gave up on is FAILED)
 * @param reason     why it was issued
 * @param outcome    empty when it succeeded, else why it failed
 * @param startedAt  when it was issued
 * @param finishedAt when its end was known
 */
public record FinishedMigration(String commandId, String guest, String source, String target, MigrationMode mode,
                                Purpose purpose, ResultStatus status, String reason, String outcome, long startedAt,
                                long finishedAt) {}
