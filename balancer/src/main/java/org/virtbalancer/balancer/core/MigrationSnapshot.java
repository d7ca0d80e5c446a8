package org.virtbalancer.balancer.core;

import org.virtbalancer.protocol.MigrationMode;

/**
 * One migration in flight.
 *
 * @param commandId the Migrate command's id
 * @param guest     domain name
 * @param source    from
 * @param target    to
 * @param mode      kind of migration
 * @param percent   last progress reported
 * @param startedAt when it was issued
 * @param reason    why it was issued
 */
public record MigrationSnapshot(String commandId, String guest, String source, String target, MigrationMode mode,
                                int percent, long startedAt, String reason) {}
