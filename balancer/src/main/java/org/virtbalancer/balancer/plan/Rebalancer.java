package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.execute.Slots;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.model.Utilisation;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Narrows the spread of expected CPU load between hosts, as DRS does: while the standard deviation
 * of the hosts' normalised load is above the target, it takes the move with the largest cut in the
 * sum of squared deviations per second of migration (set-up plus predicted copy), from one of the
 * most loaded hosts to the least loaded eligible host, simulating each on the projection; it stops
 * when the best move's cut is below the minimum gain. A move never leaves its target more loaded than
 * its source, so two hosts cannot trade a guest back and forth; cooldowns keep a guest from moving again.
 *
 * <p>A host's load here is what its guests are expected to use over the next minutes (their long
 * weighted means, see {@code GuestUsage}) plus {@code burstWeight} standard deviations of their
 * combined swings around it (their variances add up), divided by its CPUs. Balancing the last sample
 * instead chases spikes that are gone by the next one; balancing the expected load is what keeps the
 * next minutes' peaks apart, and two hosts at the same mean, one with steady guests and one with
 * bursty ones, are not equally safe. Reasons call this the expected imbalance. A host that is hot now
 * is the relief phase's business ({@code Planner}), and no move may make a target hot now either.
 */
final class Rebalancer {
    /** Hosts above the mean tried as sources in one step, most loaded first. */
    private static final int SOURCES_PER_STEP = 4;
    /** Eligible targets tried per candidate guest, least loaded first. */
    private static final int TARGETS_PER_GUEST = 3;

    private final Planner planner;
    private final PlanningPolicy policy;
    private final Map<String, Double> variance = new HashMap<>();

    Rebalancer(Planner planner) {
        this.planner = planner;
        this.policy = planner.policy();
    }

    private record Entry(double cpu, String host) {}

    private static final Comparator<Entry> ORDER = Comparator.comparingDouble(Entry::cpu).thenComparing(Entry::host);

    private record Candidate(Guest guest, String source, String target, MigrationChoice choice, double gain,
                             double score) {}

    /**
     * Plans imbalance moves on top of what {@code view} already holds (moves in flight and moves
     * planned this round) and adds them to {@code moves}; returns the notes on why it stopped.
     *
     * @param notTargets    hosts that take nothing (the overloaded ones)
     * @param alreadyMoving guests moved by this round already; updated with each move
     */
    List<String> plan(Predicate<Guest> mayMove, PlanningView view, Slots slots, Set<String> notTargets,
                      Set<String> alreadyMoving, List<Move> moves) {
        List<String> notes = new ArrayList<>();
        TreeSet<Entry> byCpu = new TreeSet<>(ORDER);
        Map<String, Entry> entries = new HashMap<>();
        double sum = 0;
        double sumSquares = 0;
        int n = 0;
        for (Host h : view.hosts()) {
            if (view.countsForBalance(h.name()) && view.projection().knows(h.name())) {
                double v = 0;
                for (Guest g : view.guestsOn(h.name())) {
                    v += g.isActive() ? g.usage().varianceCores2() : 0;
                }
                variance.put(h.name(), v);
                double cpu = load(view, h.name());
                Entry e = new Entry(cpu, h.name());
                byCpu.add(e);
                entries.put(h.name(), e);
                sum += cpu;
                sumSquares += cpu * cpu;
                n++;
            }
        }
        if (n < 2) {
            return notes;
        }
        while (true) {
            double mean = sum / n;
            double deviation = Math.sqrt(Math.max(0, sumSquares / n - mean * mean));
            if (deviation <= policy.targetImbalance()) {
                return notes;
            }
            if (slots.clusterFull()) {
                notes.add(String.format(Locale.ROOT, "expected imbalance %.3f is above %.3f, but %s.", deviation,
                        policy.targetImbalance(), slots.whyNot("", "").orElse("no migration slot is free")));
                return notes;
            }
            double cpuCeiling = policy.highWatermark();
            Candidate best = null;
            int sourcesTried = 0;
            int sourcesFull = 0;
            for (Entry src : byCpu.descendingSet()) {
                if (sourcesTried >= SOURCES_PER_STEP || src.cpu() <= mean) {
                    break;
                }
                if (slots.sourceFull(src.host())) {
                    sourcesFull++;
                    continue;
                }
                sourcesTried++;
                Candidate c = bestFrom(src, mayMove, view, slots, byCpu, notTargets, alreadyMoving, mean, cpuCeiling);
                if (c != null && (best == null || c.score() > best.score()
                        || c.score() == best.score() && c.guest().name().compareTo(best.guest().name()) < 0)) {
                    best = c;
                }
            }
            if (best == null && sourcesTried == 0 && sourcesFull > 0) {
                notes.add(String.format(Locale.ROOT, "expected imbalance %.3f is above %.3f, but the hosts above"
                        + " the mean already send as many migrations as they may.", deviation, policy.targetImbalance()));
                return notes;
            }
            if (best == null || best.gain() < policy.minImbalanceGain()) {
                notes.add(String.format(Locale.ROOT, "expected imbalance %.3f is above %.3f, but no further move cuts it by"
                        + " enough to pay for a migration.", deviation, policy.targetImbalance()));
                return notes;
            }
            Host source = view.host(best.source()).orElseThrow();
            Guest g = best.guest();
            double sourceBefore = view.projected(best.source()).expectedCpu();
            double targetBefore = view.projected(best.target()).expectedCpu();
            double before = deviation;
            view.projection().move(g, best.source(), best.target());
            slots.take(best.source(), best.target());
            alreadyMoving.add(g.name());
            double sourceAfter = view.projected(best.source()).expectedCpu();
            double targetAfter = view.projected(best.target()).expectedCpu();
            for (String h : List.of(best.source(), best.target())) {
                Entry old = entries.get(h);
                byCpu.remove(old);
                sum -= old.cpu();
                sumSquares -= old.cpu() * old.cpu();
                variance.merge(h, h.equals(best.source()) ? -g.usage().varianceCores2() : g.usage().varianceCores2(),
                        Double::sum);
                double cpu = load(view, h);
                Entry e = new Entry(cpu, h);
                entries.put(h, e);
                byCpu.add(e);
                sum += cpu;
                sumSquares += cpu * cpu;
            }
            double afterMean = sum / n;
            double after = Math.sqrt(Math.max(0, sumSquares / n - afterMean * afterMean));
            String reason = String.format(Locale.ROOT, "expected imbalance %.3f > %.3f; %s moves %.1f expected cores from %s"
                            + " (expected cpu %.2f → %.2f) to %s (expected cpu %.2f → %.2f) for %.1f GiB copied in about"
                            + " %.0f s; imbalance %.3f → %.3f",
                    before, policy.targetImbalance(), g.name(), g.expectedCores(), best.source(), sourceBefore, sourceAfter,
                    best.target(), targetBefore, targetAfter, best.choice().prediction().transferredMiB() / 1024.0,
                    policy.costSeconds(best.choice().prediction().durationMs()), before, after);
            moves.add(new Move(g, source.name(), best.target(), best.choice().mode(), best.choice().options(),
                    best.choice().prediction(), reason, sourceBefore, sourceAfter, targetBefore, targetAfter));
        }
    }

    private Candidate bestFrom(Entry src, Predicate<Guest> mayMove, PlanningView view, Slots slots,
                               TreeSet<Entry> byCpu, Set<String> notTargets, Set<String> alreadyMoving, double mean,
                               double cpuCeiling) {
        Host source = view.host(src.host()).orElseThrow();
        Utilisation sourceLoad = view.projected(src.host());
        Candidate best = null;
        for (Guest g : view.guestsOn(src.host())) {
            if (g.state() != GuestState.RUNNING || g.isPinned() || g.cpuCores() < policy.minGainCores()
                    || alreadyMoving.contains(g.name()) || !mayMove.test(g)) {
                continue;
            }
            double vs = variance.getOrDefault(src.host(), 0.0);
            double xs = src.cpu() - riskLoad(sourceLoad.minus(g), vs - g.usage().varianceCores2());
            // Even onto an empty host a guest this big cannot cut the squared deviations by the minimum.
            double sourceCut = sq(src.cpu() - mean) - sq(src.cpu() - xs - mean);
            if (sourceCut + sq(mean) < policy.minImbalanceGain()) {
                continue;
            }
            Placement placement = new Placement(g, source, src.host(), MigrationMode.LIVE, MigrationOptions.move(),
                    cpuCeiling, policy.memoryWatermark());
            int tried = 0;
            for (Entry dst : byCpu) {
                if (tried >= TARGETS_PER_GUEST || dst.cpu() >= src.cpu()) {
                    break;
                }
                if (notTargets.contains(dst.host()) || slots.targetFull(dst.host())) {
                    continue;
                }
                Utilisation targetLoad = view.projected(dst.host());
                double xt = riskLoad(targetLoad.plus(g), variance.getOrDefault(dst.host(), 0.0)
                        + g.usage().varianceCores2()) - dst.cpu();
                // Never overshoot: the target must end no more loaded than the source.
                if (dst.cpu() + xt > src.cpu() - xs) {
                    break;
                }
                if (!planner.evaluate(placement.withTarget(dst.host()), view).eligible()) {
                    tried++;
                    continue;
                }
                tried++;
                double gain = sourceCut + sq(dst.cpu() - mean) - sq(dst.cpu() + xt - mean);
                double bandwidth = Math.min(source.facts().linkMiBps(),
                        view.host(dst.host()).map(h -> h.facts().linkMiBps()).orElse(0.0));
                MigrationChoice choice = MigrationChoice.forBalancing(g, bandwidth, policy.maxDowntimeMs(),
                    policy.balancingFallbacks());
                if (!choice.possible()) {
                    break;
                }
                double score = gain / policy.costSeconds(choice.prediction().durationMs());
                if (best == null || score > best.score()) {
                    best = new Candidate(g, src.host(), dst.host(), choice, gain, score);
                }
                break;
            }
        }
        return best;
    }

    private double load(PlanningView view, String host) {
        return riskLoad(view.projected(host), variance.getOrDefault(host, 0.0));
    }

    /** Expected CPU plus burstWeight standard deviations of the guests' combined swings, normalised. */
    private double riskLoad(Utilisation u, double varianceCores2) {
        return (u.expectedCores() + policy.burstWeight() * Math.sqrt(Math.max(0, varianceCores2))) / u.cpus();
    }

    private static double sq(double v) {
        return v * v;
    }
}
