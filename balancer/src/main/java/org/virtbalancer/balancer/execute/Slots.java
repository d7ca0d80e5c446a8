package org.virtbalancer.balancer.execute;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Free migration slots for one planning round: in-flight migrations hold theirs, planned ones take more. */
public final class Slots {
    private final ConcurrencyLimits limits;
    private final Map<String, Integer> fromSource = new HashMap<>();
    private final Map<String, Integer> toTarget = new HashMap<>();
    private int total;

    Slots(ConcurrencyLimits limits) {
        this.limits = limits;
    }

    public void take(String source, String target) {
        fromSource.merge(source, 1, Integer::sum);
        toTarget.merge(target, 1, Integer::sum);
        total++;
    }

    public boolean clusterFull() {
        return total >= limits.inCluster();
    }

    public boolean sourceFull(String source) {
        return fromSource.getOrDefault(source, 0) >= limits.perSource();
    }

    public boolean targetFull(String target) {
        return toTarget.getOrDefault(target, 0) >= limits.perTarget();
    }

    /** Why no migration from source to target can start now, if so. */
    public Optional<String> whyNot(String source, String target) {
        if (clusterFull()) {
            return Optional.of("the cluster already runs " + total + " migrations, its limit");
        }
        if (sourceFull(source)) {
            return Optional.of(source + " already sends " + fromSource.get(source) + " migrations, its limit");
        }
        if (targetFull(target)) {
            return Optional.of(target + " already receives " + toTarget.get(target) + " migrations, its limit");
        }
        return Optional.empty();
    }
}
