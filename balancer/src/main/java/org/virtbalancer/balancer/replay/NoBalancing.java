package org.virtbalancer.balancer.replay;

import java.util.List;

/** {@code none}: guests stay where they were placed; the yardstick the others are measured against. */
public final class NoBalancing implements Policy {
    @Override
    public String name() {
        return "none";
    }

    @Override
    public List<MigrationRequest> decide(ReplayCluster cluster, int minute) {
        return List.of();
    }
}
