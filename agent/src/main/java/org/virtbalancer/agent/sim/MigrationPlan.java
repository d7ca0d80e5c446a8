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

    /** What virsh's {@code --timeout} did to the migration. */
    enum TimeoutAction {
        /** No timeout, or the migration was done (or already paused or in post-copy) before it passed. */
        NONE,
        /** The guest was suspended on the source at the timeout; the rest was copied while it was paused. */
        SUSPENDED,
        /** It switched to post-copy at the timeout ({@code --timeout-postcopy}). */
        POST_COPY
    }

    /** Rounds after which a migration with a timeout still going gives up anyway: only a bound on the plan's size. */
    private static final int MAX_ROUNDS_WITH_TIMEOUT = 100_000;

    private final List<Phase> phases;
    private final boolean converges;
    private final String failure;
    private final double totalMs;
    private final double totalMiB;
    private final double dirtyMiBps;
    private final TimeoutAction timeoutAction;
    private final double timeoutMs;
    private final int throttlePercent;

    private MigrationPlan(List<Phase> phases, boolean converges, String failure) {
        this(phases, converges, failure, 0);
    }

    private MigrationPlan(List<Phase> phases, boolean converges, String failure, double dirtyMiBps) {
        this(phases, converges, failure, dirtyMiBps, TimeoutAction.NONE, 0, 1);
    }

    private MigrationPlan(List<Phase> phases, boolean converges, String failure, double dirtyMiBps, TimeoutAction timeoutAction,
                          double timeoutMs, double throttleFactor) {
        this.dirtyMiBps = dirtyMiBps;
        this.timeoutAction = timeoutAction;
        this.timeoutMs = timeoutMs;
        this.throttlePercent = (int) Math.round(100 * (1 - throttleFactor));
        this.phases = List.copyOf(phases);
        this.converges = converges;
        this.failure = failure;
        this.totalMs = phases.isEmpty() ? 0 : phases.get(phases.size() - 1).endMs();
        this.totalMiB = phases.stream().mapToDouble(Phase::mib).sum();
    }

    /** Mirrors {@link PreCopyModel#live}; a plan that does not converge runs all its rounds, then fails. */
    static MigrationPlan live(double memoryMiB, double dirtyMiBps, double bandwidthMiBps, long maxDowntimeMs,
                              boolean autoConverge, boolean postCopy) {
        return live(memoryMiB, dirtyMiBps, bandwidthMiBps, maxDowntimeMs, autoConverge, postCopy, 0, false);
    }

    /**
     * {@link PreCopyModel#live} plus virsh's {@code --timeout}: when the migration has run
     * {@code timeoutMs} and is neither done nor paused for its switch-over nor in post-copy, the guest
     * is suspended and the rest (what the cut round had left, plus what the guest dirtied in it) is
     * copied while it is paused; or, with {@code timeoutPostCopy}, it switches to post-copy then,
     * instead of after round 2. With a timeout the rounds go on until it passes, as QEMU's do: it is
     * the timeout, not a round limit, that ends a migration that does not converge.
     *
     * @param timeoutMs       simulated ms from the start; 0 = no timeout
     * @param timeoutPostCopy switch to post-copy at the timeout (needs {@code postCopy} and a timeout)
     */
    static MigrationPlan live(double memoryMiB, double dirtyMiBps, double bandwidthMiBps, long maxDowntimeMs,
                              boolean autoConverge, boolean postCopy, long timeoutMs, boolean timeoutPostCopy) {
        PreCopyModel.Prediction p = PreCopyModel.live(memoryMiB, dirtyMiBps, bandwidthMiBps, maxDowntimeMs, autoConverge, postCopy);
        boolean timeout = timeoutMs > 0;
        boolean postCopyAtTimeout = timeout && timeoutPostCopy && postCopy;
        boolean postCopyAfterRounds = postCopy && !postCopyAtTimeout;
        int maxRounds = timeout ? MAX_ROUNDS_WITH_TIMEOUT : PreCopyModel.MAX_ROUNDS;
        List<Phase> phases = new ArrayList<>();
        double budgetMiB = bandwidthMiBps * (maxDowntimeMs <= 0 ? PreCopyModel.DEFAULT_MAX_DOWNTIME_MS : maxDowntimeMs) / 1000.0;
        double toCopy = memoryMiB;
        double dirty = dirtyMiBps;
        double t = 0;
        for (int round = 1; round <= maxRounds && bandwidthMiBps > 0; round++) {
            if (toCopy <= budgetMiB) {
                phases.add(new Phase(Kind.PAUSED, t, toCopy / bandwidthMiBps * 1000, toCopy));
                return new MigrationPlan(phases, true, "", dirtyMiBps, TimeoutAction.NONE, 0, throttled(dirty, dirtyMiBps));
            }
            if (postCopyAfterRounds && round > 2) {
                postCopy(phases, t, toCopy, budgetMiB, bandwidthMiBps);
                return new MigrationPlan(phases, true, "", dirtyMiBps, TimeoutAction.NONE, 0, throttled(dirty, dirtyMiBps));
            }
            double roundMs = toCopy / bandwidthMiBps * 1000;
            if (timeout && t + roundMs > timeoutMs) {
                // The timeout passes during this round: it is cut there.
                double doneMs = Math.max(0, timeoutMs - t);
                double sent = bandwidthMiBps * doneMs / 1000;
                if (doneMs > 0) {
                    phases.add(new Phase(Kind.ROUND, t, doneMs, sent));
                }
                double rest = Math.min(memoryMiB, toCopy - sent + dirty * doneMs / 1000);
                t = timeoutMs;
                if (postCopyAtTimeout) {
                    postCopy(phases, t, rest, budgetMiB, bandwidthMiBps);
                    return new MigrationPlan(phases, true, "", dirtyMiBps, TimeoutAction.POST_COPY, timeoutMs, throttled(dirty, dirtyMiBps));
                }
                phases.add(new Phase(Kind.PAUSED, t, rest / bandwidthMiBps * 1000, rest));
                return new MigrationPlan(phases, true, "", dirtyMiBps, TimeoutAction.SUSPENDED, timeoutMs, throttled(dirty, dirtyMiBps));
            }
            phases.add(new Phase(Kind.ROUND, t, roundMs, toCopy));
            t += roundMs;
            if (autoConverge && round >= 2) {
                dirty *= PreCopyModel.AUTO_CONVERGE_FACTOR;
            }
            toCopy = Math.min(memoryMiB, dirty * roundMs / 1000);
        }
        return new MigrationPlan(phases, false, p.reason(), dirtyMiBps, TimeoutAction.NONE, 0, throttled(dirty, dirtyMiBps));
    }

    /** Auto-converge's throttle: the factor by which it has cut the dirty rate (1 = not at all). */
    private static double throttled(double dirtyNow, double dirtyAtStart) {
        return dirtyAtStart > 0 ? dirtyNow / dirtyAtStart : 1;
    }

    /** Switch-over to post-copy at {@code t}: a short pause for what fits the downtime, the rest pulled by the target. */
    private static void postCopy(List<Phase> phases, double t, double toCopy, double budgetMiB, double bandwidthMiBps) {
        double paused = Math.min(toCopy, budgetMiB);
        phases.add(new Phase(Kind.PAUSED, t, paused / bandwidthMiBps * 1000, paused));
        t += paused / bandwidthMiBps * 1000;
        phases.add(new Phase(Kind.POST_COPY, t, (toCopy - paused) / bandwidthMiBps * 1000, toCopy - paused));
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

    TimeoutAction timeoutAction() {
        return timeoutAction;
    }

    /** When the timeout acted, in simulated ms from the start; meaningful only with a {@link #timeoutAction}. */
    double timeoutMs() {
        return timeoutMs;
    }

    /** How far auto-converge slowed the guest's vCPUs, in percent; 0 when it did not. */
    int throttlePercent() {
        return throttlePercent;
    }

    /** Pre-copy rounds before it switched to post-copy; -1 when it did not. */
    int postCopyAfterRounds() {
        int rounds = 0;
        for (Phase p : phases) {
            if (p.kind() == Kind.POST_COPY) {
                return rounds;
            }
            if (p.kind() == Kind.ROUND) {
                rounds++;
            }
        }
        return -1;
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
