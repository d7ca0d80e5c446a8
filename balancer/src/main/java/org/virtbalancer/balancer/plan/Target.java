package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.model.Utilisation;

/**
 * A host that may take a guest, with its projected load before and after.
 *
 * @param host   host id
 * @param before load before the move
 * @param after  load after the move
 */
public record Target(String host, Utilisation before, Utilisation after) {}
