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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
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
        return new Explanation(placement.guest().name(), placement.source().name(), verdicts, notes,
                summary(placement.guest().name(), verdicts));
    }

    /** Hosts that pass every rule, least loaded after the move first. */
    public List<Target> eligibleTargets(Placement placement, PlacementContext context) {
        Guest g = placement.guest();
        List<Target> targets = new ArrayList<>();
        for (Host host : context.hosts()) {
            if (!host.name().equals(placement.source().name())
                    && evaluate(placement.withTarget(host.name()), context).eligible()) {
                Utilisation before = context.projected(host.name());
                targets.add(new Target(host.name(), before, before.plus(g.cpuCores(), g.activeMemoryMiB())));
            }
        }
        targets.sort(Comparator.comparingDouble((Target t) -> t.after().binding()).thenComparing(Target::host));
        return targets;
    }

    /**
     * Plans balancing moves for the overloaded hosts, given in the order to relieve them.
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
        List<Move> moves = new ArrayList<>();
        Set<String> notMoved = new LinkedHashSet<>();
        for (String source : sources) {
            Optional<Host> sourceHost = view.host(source);
            if (sourceHost.isEmpty()) {
                continue;
            }
            Utilisation start = view.projected(source);
            if (start.binding() <= policy.lowWatermark()) {
                notMoved.add(String.format(Locale.ROOT, "%s needs no more moves: migrations in flight bring it to %.2f.",
                        source, start.binding()));
                continue;
            }
            boolean cpuBound = start.cpu() >= start.memory();
            List<Guest> candidates = new ArrayList<>();
            for (Guest g : view.guestsOn(source)) {
                boolean worthIt = cpuBound ? g.cpuCores() >= policy.minGainCores() : g.activeMemoryMiB() > 0;
                if (g.state() == GuestState.RUNNING && !g.isPinned() && worthIt && mayMove.test(g)) {
                    candidates.add(g);
                }
            }
            int movedHere = 0;
            while (view.projected(source).binding() > policy.lowWatermark()) {
                Optional<String> full = slots.clusterFull() || slots.sourceFull(source)
                        ? slots.whyNot(source, source) : Optional.empty();
                if (full.isPresent()) {
                    notMoved.add(source + " is not relieved further now: " + full.get() + ".");
                    break;
                }
                Optional<Scored> best = bestMove(sourceHost.get(), candidates, view, index, notMoved);
                if (best.isEmpty()) {
                    notMoved.add(String.format(Locale.ROOT, "%s stays at %.2f: %s", source,
                            view.projected(source).binding(), movedHere == 0
                                    ? "no guest on it can move anywhere that stays under the low watermark."
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
        return new BalancingPlan(moves, new ArrayList<>(notMoved), imbalanceBefore, view.imbalance());
    }

    private record Scored(Guest guest, Target target, MigrationChoice choice, double score) {}

    private Optional<Scored> bestMove(Host source, List<Guest> candidates, PlanningView view, TargetIndex index,
                                      Set<String> notMoved) {
        Scored best = null;
        Utilisation sourceLoad = view.projected(source.name());
        for (Guest g : List.copyOf(candidates)) {
            Placement placement = new Placement(g, source, source.name(), MigrationMode.LIVE,
                    MigrationOptions.move(), policy.lowWatermark());
            // Same answer as eligibleTargets(placement, view) minus full targets, first one, without
            // running every rule on every host for every candidate.
            Optional<Target> target = index.first(g, source.name(), capacityCeiling(placement),
                    h -> evaluate(placement.withTarget(h), view).eligible());
            if (target.isEmpty()) {
                candidates.remove(g);
                continue;
            }
            double bandwidth = Math.min(source.facts().linkMiBps(),
                    view.host(target.get().host()).map(h -> h.facts().linkMiBps()).orElse(0.0));
            MigrationChoice choice = MigrationChoice.forBalancing(g, bandwidth, policy.maxDowntimeMs());
            if (!choice.possible()) {
                notMoved.add(choice.reason());
                candidates.remove(g);
                continue;
            }
            double relief = sourceLoad.binding() - sourceLoad.minus(g.cpuCores(), g.activeMemoryMiB()).binding();
            double score = relief / Math.max(1, choice.prediction().transferredMiB());
            if (relief > 0 && (best == null || score > best.score())) {
                best = new Scored(g, target.get(), choice, score);
            }
        }
        return Optional.ofNullable(best);
    }

    /** Loads above this fail FitsCapacity, so the index skips them; without that rule nothing is skipped. */
    private double capacityCeiling(Placement placement) {
        return capacityRule ? placement.ceiling() : Double.POSITIVE_INFINITY;
    }

    private Move apply(Scored s, Host source, String overloadReason, boolean cpuBound, PlanningView view) {
        Guest g = s.guest();
        String target = s.target().host();
        double sourceBefore = view.projected(source.name()).binding();
        double targetBefore = view.projected(target).binding();
        view.projection().move(g, source.name(), target);
        double sourceAfter = view.projected(source.name()).binding();
        double targetAfter = view.projected(target).binding();
        // One format call per move: "<why>; vm frees 1.5 cores (or 4.0 GiB of memory) for 4.0 GiB copied; …".
        String reason = String.format(Locale.ROOT, cpuBound
                        ? "%s; %s frees %.1f cores for %.1f GiB copied; %s goes %.2f → %.2f"
                        : "%s; %s frees %.1f GiB of memory for %.1f GiB copied; %s goes %.2f → %.2f",
                overloadReason, g.name(), cpuBound ? g.cpuCores() : g.activeMemoryMiB() / 1024.0,
                s.choice().prediction().transferredMiB() / 1024.0, target, targetBefore, targetAfter);
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
        Set<String> rulesAboutGuest = rules.stream().filter(EligibilityRule::aboutGuest).map(EligibilityRule::name)
                .collect(Collectors.toSet());
        Set<String> guestReasons = new LinkedHashSet<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Explanation.HostVerdict v : verdicts) {
            for (Explanation.RuleFailure f : v.failures()) {
                if (rulesAboutGuest.contains(f.rule())) {
                    guestReasons.add(stripPeriod(f.reason()));
                } else {
                    counts.merge(f.summary(), 1, Integer::sum);
                }
            }
        }
        String counted = counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .map(e -> e.getValue() + " " + e.getKey())
                .collect(Collectors.joining(", "));
        List<String> parts = new ArrayList<>(guestReasons);
        if (!counted.isEmpty()) {
            parts.add(counted);
        }
        return parts.isEmpty() ? head : head + ": " + String.join("; ", parts);
    }

    private static String stripPeriod(String s) {
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
