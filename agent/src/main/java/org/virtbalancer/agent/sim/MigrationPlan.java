package org.virtbalancer.agent.sim;

import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.PreCopyModel;

import java.util.ArrayList;
import java.util.List;

/**
 * The timeline of one simulated migration, built by the same rules as {@link PreCopyModel} so that
 * what the simulator does and what the planner predicts agree. Times are simulated milliseconds
 * (at real link speed); the fabric divides them by its speed-up.
 */
final class MigrationPlan {
    enum Kind {
        /** A pre-copy round while the guest runs. */
        ROUND,
        /** The guest is paused while the rest is copied. */
        PAUSED,
        /** The guest runs on the target and pulls the rest on demand; cannot be aborted. */
        POST_COPY,
        /** Only the definition is written. */
        DEFINITION
    }

    record Phase(Kind kind, double startMs, double durationMs, double mib) {
        double endMs() {
            return startMs + durationMs;
        }
    }

    private final List<Phase> phases;
    private final boolean converges;
    private final String failure;
    private final double totalMs;
    private final double totalMiB;
    private final double dirtyMiBps;

    private MigrationPlan(List<Phase> phases, boolean converges, String failure) {
        this(phases, converges, failure, 0);
    }

    private MigrationPlan(List<Phase> phases, boolean converges, String failure, double dirtyMiBps) {
        this.dirtyMiBps = dirtyMiBps;
        this.phases = List.copyOf(phases);
        this.converges = converges;
        this.failure = failure;
        this.totalMs = phases.isEmpty() ? 0 : phases.get(phases.size() - 1).endMs();
        this.totalMiB = phases.stream().mapToDouble(Phase::mib).sum();
    }

    /** Mirrors {@link PreCopyModel#live}; a plan that does not converge runs all its rounds, then fails. */
    static MigrationPlan live(double memoryMiB, double dirtyMiBps, double bandwidthMiBps, long maxDowntimeMs,
                              boolean autoConverge, boolean postCopy) {
        PreCopyModel.Prediction p = PreCopyModel.live(memoryMiB, dirtyMiBps, bandwidthMiBps, maxDowntimeMs, autoConverge, postCopy);
        List<Phase> phases = new ArrayList<>();
        double budgetMiB = bandwidthMiBps * (maxDowntimeMs <= 0 ? PreCopyModel.DEFAULT_MAX_DOWNTIME_MS : maxDowntimeMs) / 1000.0;
        double toCopy = memoryMiB;
        double dirty = dirtyMiBps;
        double t = 0;
        for (int round = 1; round <= PreCopyModel.MAX_ROUNDS && bandwidthMiBps > 0; round++) {
            if (toCopy <= budgetMiB) {
                phases.add(new Phase(Kind.PAUSED, t, toCopy / bandwidthMiBps * 1000, toCopy));
                return new MigrationPlan(phases, true, "", dirtyMiBps);
            }
            if (postCopy && round > 2) {
                double paused = Math.min(toCopy, budgetMiB);
                phases.add(new Phase(Kind.PAUSED, t, paused / bandwidthMiBps * 1000, paused));
                t += paused / bandwidthMiBps * 1000;
                phases.add(new Phase(Kind.POST_COPY, t, (toCopy - paused) / bandwidthMiBps * 1000, toCopy - paused));
                return new MigrationPlan(phases, true, "", dirtyMiBps);
            }
            double roundMs = toCopy / bandwidthMiBps * 1000;
            phases.add(new Phase(Kind.ROUND, t, roundMs, toCopy));
            t += roundMs;
            if (autoConverge && round >= 2) {
                dirty *= PreCopyModel.AUTO_CONVERGE_FACTOR;
            }
            toCopy = Math.min(memoryMiB, dirty * roundMs / 1000);
        }
        return new MigrationPlan(phases, false, p.reason(), dirtyMiBps);
    }

    static MigrationPlan nonLive(double memoryMiB, double bandwidthMiBps) {
        PreCopyModel.Prediction p = PreCopyModel.nonLive(memoryMiB, bandwidthMiBps);
        if (!p.converges()) {
            return new MigrationPlan(List.of(), false, p.reason());
        }
        return new MigrationPlan(List.of(new Phase(Kind.PAUSED, 0, p.durationMs(), memoryMiB)), true, "");
    }

    static MigrationPlan offline() {
        return new MigrationPlan(List.of(new Phase(Kind.DEFINITION, 0, PreCopyModel.offline().durationMs(), 0)), true, "");
    }

    boolean converges() {
        return converges;
    }

    /** Why it does not converge; empty when it does. */
    String failure() {
        return failure;
    }

    double totalMs() {
        return totalMs;
    }

    /** The phase running at {@code ms}; the last one once it is over. */
    Phase phaseAt(double ms) {
        for (Phase p : phases) {
            if (ms < p.endMs()) {
                return p;
            }
        }
        return phases.isEmpty() ? new Phase(Kind.DEFINITION, 0, 0, 0) : phases.get(phases.size() - 1);
    }

    /** What it has done by simulated time {@code ms}. */
    MigrationStats statsAt(double ms) {
        double transferred = 0;
        double remaining = 0;
        double downtime = 0;
        int rounds = 0;
        for (Phase p : phases) {
            double done = Math.max(0, Math.min(1, p.durationMs() <= 0 ? (ms >= p.startMs() ? 1 : 0) : (ms - p.startMs()) / p.durationMs()));
            transferred += p.mib() * done;
            if (done > 0 && done < 1) {
                remaining = p.mib() * (1 - done);
            }
            if (p.kind() == Kind.ROUND && done >= 1) {
                rounds++;
            }
            if (p.kind() == Kind.PAUSED) {
                downtime += p.durationMs() * done;
            }
        }
        return new MigrationStats(Math.round(transferred), Math.round(remaining), rounds,
                Math.round(Math.min(ms, totalMs)), Math.round(downtime), dirtyMiBps);
    }

    /** 0-99 while running; 100 only once it is over and converged. */
    int percentAt(double ms) {
        if (ms >= totalMs) {
            return converges ? 100 : 99;
        }
        double fraction = totalMiB > 0 ? statsAt(ms).transferredMiB() / totalMiB : ms / Math.max(1, totalMs);
        return (int) Math.min(99, Math.floor(fraction * 100));
    }
}
