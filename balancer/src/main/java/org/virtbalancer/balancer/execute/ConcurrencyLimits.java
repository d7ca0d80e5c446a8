package org.virtbalancer.balancer.execute;

/**
 * How many migrations may run at once, counting the ones in flight.
 *
 * @param perSource leaving one host
 * @param perTarget arriving at one host
 * @param inCluster in the whole cluster
 */
public record ConcurrencyLimits(int perSource, int perTarget, int inCluster) {
    public ConcurrencyLimits {
        if (perSource < 1 || perTarget < 1 || inCluster < 1) {
            throw new IllegalArgumentException("concurrency limits must be at least 1, got per source " + perSource
                    + ", per target " + perTarget + ", in cluster " + inCluster);
        }
    }
}
