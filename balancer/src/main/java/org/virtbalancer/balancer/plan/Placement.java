package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;

/**
 * A proposed placement to check: this guest, from its host to {@code target}, this way.
 *
 * @param guest         the guest
 * @param source        the host it is on
 * @param target        the host it would go to
 * @param mode          kind of migration
 * @param options       its options
 * @param ceiling       highest normalised CPU load the target may reach (infinite for an operator's own move, where
 *                      CPU load only warns; else the balancing ceiling, or the high
 *                      watermark for maintenance)
 * @param memoryCeiling highest share of its memory the target may have allocated afterwards
 */
public record Placement(Guest guest, Host source, String target, MigrationMode mode, MigrationOptions options,
                        double ceiling, double memoryCeiling) {
    public Placement withTarget(String newTarget) {
        return new Placement(guest, source, newTarget, mode, options, ceiling, memoryCeiling);
    }
}
