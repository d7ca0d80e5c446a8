package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.execute.Slots;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.model.Utilisation;
import org.virtbalancer.balancer.plan.rules.FitsCapacity;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Runs the eligibility rules and plans balancing moves: for each overloaded host, most loaded
 * first, it moves the guests that relieve it most per MiB copied to the eligible host left least
 * loaded, simulating each move so no target is pushed over the low watermark.
 */
public final class Planner {
    private final PlanningPolicy policy;
    private final List<EligibilityRule> rules;
    private final boolean capacityRule;

    public Planner(PlanningPolicy policy) {
        this(policy, EligibilityRule.standard());
    }

    public Planner(PlanningPolicy policy, List<EligibilityRule> rules) {
        this.policy = policy;
        this.rules = List.copyOf(rules);
        this.capacityRule = this.rules.stream().anyMatch(FitsCapacity.class::isInstance);
    }

    public PlanningPolicy policy() {
        return policy;
    }

    /** Runs every rule on the placement and keeps every failure. */
    public Explanation.HostVerdict evaluate(Placement placement, PlacementContext context) {
        List<Explanation.RuleFailure> failures = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (EligibilityRule rule : rules) {
            Verdict v = rule.check(placement, context);
            if (!v.passed()) {
                failures.add(new Explanation.RuleFailure(rule.name(), v.summary(), v.reason()));
            } else if (!v.reason().isEmpty()) {
                warnings.add(v.reason());
            }
        }
        return new Explanation.HostVerdict(placement.target(), failures.isEmpty(), failures, warnings);
    }

    /** Every other host's verdict for this guest, and the counted summary. */
    public Explanation explain(Placement placement, PlacementContext context, List<String> notes) {
        List<Explanation.HostVerdict> verdicts = new ArrayList<>();
        for (Host host : context.hosts()) {
            if (!host.name().equals(placement.source().name())) {
                verdicts.add(evaluate(placement.withTarget(host.name()), context));
            }
        }
        String guest = placement.guest().name();
        return new Explanation(guest, placement.source().name(), verdicts, tally(verdicts).counts(), notes,
                summary(guest, verdicts));
    }

    /**
     * One host's verdict for this guest, with a summary such as "h4 cannot take web-3: in
     * maintenance, would exceed memory" or "h7 can take web-3".
     */
    public Explanation explainTarget(Placement placement, PlacementContext context, List<String> notes) {
        String guest = placement.guest().name();
        Explanation.HostVerdict verdict = evaluate(placement, context);
        List<Explanation.HostVerdict> verdicts = List.of(verdict);
        Tally tally = tally(verdicts);
        String summary;
        if (verdict.eligible()) {
            summary = placement.target() + " can take " + guest + (verdict.warnings().isEmpty() ? ""
                    : ": " + verdict.warnings().stream().map(Planner::stripPeriod).collect(Collectors.joining("; ")));
        } else {
            List<String> parts = new ArrayList<>(tally.aboutGuest());
            List<String> phrases = tally.counts().stream()
                    .filter(c -> !tally.guestPhrases().contains(c.reason()))
                    .map(Explanation.Count::reason)
                    .toList();
            if (!phrases.isEmpty()) {
                parts.add(String.join(", ", phrases));
            }
            summary = placement.target() + " cannot take " + guest + ": " + String.join("; ", parts);
        }
        return new Explanation(guest, placement.source().name(), verdicts, tally.counts(), notes, summary);
    }

    /** Hosts that pass every rule, least loaded after the move first. */
    public List<Target> eligibleTargets(Placement placement, PlacementContext context) {
        Guest g = placement.guest();
        List<Target> targets = new ArrayList<>();
        for (Host host : context.hosts()) {
            if (!host.name().equals(placement.source().name())
                    && evaluate(placement.withTarget(host.name()), context).eligible()) {
                Utilisation before = context.projected(host.name());
                targets.add(new Target(host.name(), before, before.plus(g)));
            }
        }
        targets.sort(Comparator.comparingDouble((Target t) -> t.after().binding()).thenComparing(Target::host));
        return targets;
    }

    /**
     * Plans balancing moves: first relief for the overloaded hosts, given in the order to relieve
     * them; then, while slots are left and the cluster's CPU spread is above the target, moves that
     * narrow it ({@link Rebalancer}).
     *
     * @param sources        overloaded hosts, most loaded first
     * @param overloadReason why each one counts as overloaded
     * @param mayMove        guests the caller allows to move (not in flight, cooled down, attempts left)
     * @param view           the projection, with moves in flight already applied; updated with each planned move
     * @param slots          concurrency slots, with moves in flight already holding theirs; taken by planned moves
     */
    public BalancingPlan balance(List<String> sources, Function<String, String> overloadReason, Predicate<Guest> mayMove,
                                 PlanningView view, Slots slots) {
        double imbalanceBefore = view.imbalance();
        TargetIndex index = new TargetIndex(view, slots);
        double cpuCeiling = policy.highWatermark();
        List<Move> moves = new ArrayList<>();
        Set<String> notMoved = new LinkedHashSet<>();
        // An overloaded host takes nothing, not even once moves planned here bring it under its marks.
        Set<String> overloaded = Set.copyOf(sources);
        for (String source : sources) {
            Optional<Host> sourceHost = view.host(source);
            if (sourceHost.isEmpty()) {
                continue;
            }
            Utilisation start = view.projected(source);
            if (relieved(start)) {
                notMoved.add(String.format(Locale.ROOT, "%s needs no more moves: migrations in flight bring it to"
                        + " cpu %.2f, memory %.2f.", source, start.cpu(), start.memory()));
                continue;
            }
            boolean cpuBound = start.cpu() - policy.lowWatermark() >= start.memory() - policy.memoryLowWatermark();
            List<Guest> candidates = new ArrayList<>();
            for (Guest g : view.guestsOn(source)) {
                boolean worthIt = cpuBound ? g.cpuCores() >= policy.minGainCores() : g.activeMemoryMiB() > 0;
                if (g.state() == GuestState.RUNNING && !g.isPinned() && worthIt && mayMove.test(g)) {
                    candidates.add(g);
                }
            }
            int movedHere = 0;
            while (!relieved(view.projected(source))) {
                Optional<String> full = slots.clusterFull() || slots.sourceFull(source)
                        ? slots.whyNot(source, source) : Optional.empty();
                if (full.isPresent()) {
                    notMoved.add(source + " is not relieved further now: " + full.get() + ".");
                    break;
                }
                Optional<Scored> best = bestMove(sourceHost.get(), candidates, view, index, cpuCeiling, overloaded,
                        notMoved);
                if (best.isEmpty()) {
                    notMoved.add(String.format(Locale.ROOT, "%s stays at cpu %.2f, memory %.2f: %s", source,
                            view.projected(source).cpu(), view.projected(source).memory(), movedHere == 0
                                    ? String.format(Locale.ROOT, "no guest on it can move anywhere that stays under"
                                    + " cpu %.2f and memory %.2f.", cpuCeiling, policy.memoryWatermark())
                                    : "nothing else eligible remains."));
                    break;
                }
                Scored s = best.get();
                moves.add(apply(s, sourceHost.get(), overloadReason.apply(source), cpuBound, view));
                slots.take(source, s.target().host());
                index.update(source);
                index.update(s.target().host());
                candidates.remove(s.guest());
                movedHere++;
            }
        }
        if (policy.targetImbalance() > 0) {
            Set<String> moving = new HashSet<>();
            moves.forEach(m -> moving.add(m.guest().name()));
            notMoved.addAll(new Rebalancer(this).plan(mayMove, view, slots, overloaded, moving, moves));
        }
        return new BalancingPlan(moves, new ArrayList<>(notMoved), imbalanceBefore, view.imbalance());
    }

    private boolean relieved(Utilisation u) {
        return policy.relieved(u.cpu(), u.memory());
    }

    private record Scored(Guest guest, Target target, MigrationChoice choice, double score) {}

    private Optional<Scored> bestMove(Host source, List<Guest> candidates, PlanningView view, TargetIndex index,
                                      double cpuCeiling, Set<String> notTargets, Set<String> notMoved) {
        Scored best = null;
        Utilisation sourceLoad = view.projected(source.name());
        for (Guest g : List.copyOf(candidates)) {
            Placement placement = new Placement(g, source, source.name(), MigrationMode.LIVE,
                    MigrationOptions.move(), cpuCeiling, policy.memoryWatermark());
            // The eligible host left least loaded on CPU, without running every rule on every host for
            // every candidate.
            Predicate<String> eligible = h -> !notTargets.contains(h) && evaluate(placement.withTarget(h), view).eligible();
            Optional<Target> target = capacityRule
                    ? index.first(g, source.name(), cpuCeiling, policy.memoryWatermark(), eligible)
                    : index.first(g, source.name(), Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, eligible);
            if (target.isEmpty()) {
                candidates.remove(g);
                continue;
            }
            double bandwidth = Math.min(source.facts().linkMiBps(),
                    view.host(target.get().host()).map(h -> h.facts().linkMiBps()).orElse(0.0));
            MigrationChoice choice = MigrationChoice.forBalancing(g, bandwidth, policy.maxDowntimeMs(),
                    policy.balancingFallbacks());
            if (!choice.possible()) {
                notMoved.add(choice.reason());
                candidates.remove(g);
                continue;
            }
            Utilisation after = sourceLoad.minus(g);
            double relief = policy.excess(sourceLoad.cpu(), sourceLoad.memory()) - policy.excess(after.cpu(), after.memory());
            double score = relief / policy.costSeconds(choice.prediction().durationMs());
            if (relief > 0 && (best == null || score > best.score())) {
                best = new Scored(g, target.get(), choice, score);
            }
        }
        return Optional.ofNullable(best);
    }

    private Move apply(Scored s, Host source, String overloadReason, boolean cpuBound, PlanningView view) {
        Guest g = s.guest();
        String target = s.target().host();
        ToDoubleFunction<Utilisation> load = cpuBound ? Utilisation::cpu : Utilisation::memory;
        double sourceBefore = load.applyAsDouble(view.projected(source.name()));
        double targetBefore = load.applyAsDouble(view.projected(target));
        view.projection().move(g, source.name(), target);
        double sourceAfter = load.applyAsDouble(view.projected(source.name()));
        double targetAfter = load.applyAsDouble(view.projected(target));
        // One format call per move: "<why>; vm frees 1.5 cores (or 4.0 GiB of memory) for 4.0 GiB copied in …".
        String reason = String.format(Locale.ROOT, cpuBound
                        ? "%s; %s frees %.1f cores for %.1f GiB copied in about %.0f s; %s cpu goes %.2f → %.2f"
                        : "%s; %s frees %.1f GiB of memory for %.1f GiB copied in about %.0f s; %s memory goes %.2f → %.2f",
                overloadReason, g.name(), cpuBound ? g.cpuCores() : g.activeMemoryMiB() / 1024.0,
                s.choice().prediction().transferredMiB() / 1024.0, policy.costSeconds(s.choice().prediction().durationMs()),
                target, targetBefore, targetAfter);
        return new Move(g, source.name(), target, s.choice().mode(), s.choice().options(), s.choice().prediction(),
                reason, sourceBefore, sourceAfter, targetBefore, targetAfter);
    }

    /** "0/7 hosts can take web-3: 4 in maintenance, 2 would exceed memory, 1 same-named guest running". */
    String summary(String guest, List<Explanation.HostVerdict> verdicts) {
        long eligible = verdicts.stream().filter(Explanation.HostVerdict::eligible).count();
        String head = eligible + "/" + verdicts.size() + " hosts can take " + guest;
        if (verdicts.isEmpty()) {
            return head + ": there is no other known host.";
        }
        Tally tally = tally(verdicts);
        String counted = tally.counts().stream()
                .filter(c -> !tally.guestPhrases().contains(c.reason()))
                .map(c -> c.hosts() + " " + c.reason())
                .collect(Collectors.joining(", "));
        List<String> parts = new ArrayList<>(tally.aboutGuest());
        if (!counted.isEmpty()) {
            parts.add(counted);
        }
        return parts.isEmpty() ? head : head + ": " + String.join("; ", parts);
    }

    /**
     * Failures across hosts: the guest's own reasons (stated once, in full) and every short phrase
     * with the number of hosts it rules out, most first.
     */
    private record Tally(List<String> aboutGuest, Set<String> guestPhrases, List<Explanation.Count> counts) {}

    private Tally tally(List<Explanation.HostVerdict> verdicts) {
        Set<String> rulesAboutGuest = rules.stream().filter(EligibilityRule::aboutGuest).map(EligibilityRule::name)
                .collect(Collectors.toSet());
        Set<String> guestReasons = new LinkedHashSet<>();
        Set<String> guestPhrases = new LinkedHashSet<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Explanation.HostVerdict v : verdicts) {
            for (Explanation.RuleFailure f : v.failures()) {
                if (rulesAboutGuest.contains(f.rule())) {
                    guestReasons.add(stripPeriod(f.reason()));
                    guestPhrases.add(f.summary());
                }
                counts.merge(f.summary(), 1, Integer::sum);
            }
        }
        List<Explanation.Count> sorted = counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .map(e -> new Explanation.Count(e.getKey(), e.getValue()))
                .toList();
        return new Tally(List.copyOf(guestReasons), guestPhrases, sorted);
    }

    private static String stripPeriod(String s) {
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
