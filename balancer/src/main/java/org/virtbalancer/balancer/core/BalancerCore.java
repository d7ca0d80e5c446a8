package org.virtbalancer.balancer.core;

import org.virtbalancer.balancer.detect.OverloadDetector;
import org.virtbalancer.balancer.execute.ConcurrencyLimits;
import org.virtbalancer.balancer.execute.Migration;
import org.virtbalancer.balancer.execute.Migrations;
import org.virtbalancer.balancer.execute.Purpose;
import org.virtbalancer.balancer.execute.ResultOutcome;
import org.virtbalancer.balancer.execute.Slots;
import org.virtbalancer.balancer.maintenance.DrainRound;
import org.virtbalancer.balancer.maintenance.MaintenanceDrain;
import org.virtbalancer.balancer.model.Cluster;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.model.Projection;
import org.virtbalancer.balancer.model.Utilisation;
import org.virtbalancer.balancer.plan.BalancingPlan;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.balancer.plan.MigrationChoice;
import org.virtbalancer.balancer.plan.Move;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.Planner;
import org.virtbalancer.balancer.plan.PlanningPolicy;
import org.virtbalancer.balancer.plan.PlanningView;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.PlannedMove;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.protocol.RequestOutcome;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.SetAutomation;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The balancer's decision core: events in, actions out. Plain Java with an injected clock, so the
 * same code runs behind Kafka, in unit tests and in trace replay. Not thread-safe: the shell calls
 * it from one thread; {@link #snapshot()} returns an immutable value other threads may keep.
 */
public final class BalancerCore {
    /** A recommendation not approved within this time is dropped; a fresh one follows if still needed. */
    public static final Duration RECOMMENDATION_TTL = Duration.ofMinutes(10);
    /** A "nothing can be done" balancing decision is repeated at most this often while nothing changes. */
    public static final Duration QUIET_REPEAT = Duration.ofMinutes(1);
    private static final int RECENT_DECISIONS = 50;
    /**
     * Hosts that have sent no inventory that may wait for maintenance at once. A drain is kept for
     * such a host (its inventory may come later, e.g. when a restarted balancer reads the control
     * topic first), but a control topic naming ever new hosts must not grow the balancer's memory,
     * its ticks and its status messages without end.
     */
    public static final int MAX_UNKNOWN_DRAINS = 1_000;

    private final BalancerSettings settings;
    private final Clock clock;
    private final Cluster cluster;
    private final OverloadDetector detector;
    private final Migrations migrations;
    private final Planner planner;
    private final Map<String, MaintenanceDrain> drains = new TreeMap<>();
    private final Map<String, Recommendation> pending = new LinkedHashMap<>();
    private final Deque<PlanDecision> recentDecisions = new ArrayDeque<>();
    private final List<Action> queued = new ArrayList<>();
    /** Final results that arrived before their command was observed (different topics), by command id. */
    private final Map<String, TimedResult> earlyResults = new LinkedHashMap<>();

    /** A result with when its agent wrote it. */
    private record TimedResult(CommandResult result, long writtenAt) {}
    private static final int EARLY_RESULTS_KEPT = 10_000;
    /** Operators' migration requests not answered yet, oldest first (every balancer keeps them; the leader answers). */
    private final Map<String, RequestMigration> requests = new LinkedHashMap<>();
    /** Why a request still waits, by request id (the leader's view). */
    private final Map<String, String> requestWaits = new HashMap<>();
    /** The latest answers to requests, by request id, for the API. */
    private final Map<String, RequestOutcome> answers = new LinkedHashMap<>();
    private static final int ANSWERS_KEPT = 1_000;
    private AutomationLevel automation;
    private String lastIdleTrigger = "";
    private long lastIdleAt = Long.MIN_VALUE;

    /**
     * Approved moves that found no free migration slot, by plan id: the approval stands, and each tick issues
     * those that now have a slot (checked against every rule again), for {@link #RECOMMENDATION_TTL} after it.
     */
    private final Map<String, Recommendation> approvedWaiting = new LinkedHashMap<>();

    /** Moves recommended and waiting for ApprovePlan. */
    private record Recommendation(String planId, String trigger, String signature, Purpose purpose, List<Move> moves,
                                  long at) {}

    public BalancerCore(BalancerSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.automation = settings.automation();
        this.planner = new Planner(new PlanningPolicy(settings.highWatermark(), settings.lowWatermark(),
                settings.minGainCores(), settings.maxDowntimeMs(), settings.allowPauseForMaintenance(),
                settings.memoryWatermark(), settings.targetImbalance(), settings.minImbalanceGain(),
                settings.setupSeconds(), settings.burstWeight(), settings.balancingFallbacks()));
        this.cluster = new Cluster(settings.forecastWindow());
        this.detector = new OverloadDetector(settings.highWatermark(), settings.lowWatermark(),
                settings.memoryWatermark(), planner.policy().memoryLowWatermark(), settings.overloadK(),
                settings.overloadN());
        this.migrations = new Migrations(new ConcurrencyLimits(settings.maxPerSource(), settings.maxPerTarget(),
                settings.maxInCluster()), settings.guestCooldown(), settings.minDeadline(), settings.maxAttemptsPerGuest());
    }

    /** Authoritative guest list and facts of one host. */
    public void onInventory(Inventory inventory) {
        cluster.applyInventory(inventory, clock.millis());
    }

    /** An inventory the agent wrote at {@code writtenAt}: it outranks any move that ended before it. */
    public void onInventory(Inventory inventory, long writtenAt) {
        cluster.applyInventory(inventory, clock.millis(), writtenAt);
    }

    /** One sample per host per interval; samples of hosts without an inventory yet are dropped. */
    public void onHostLoad(HostLoad load) {
        long now = clock.millis();
        if (cluster.applySample(load, now)) {
            cluster.utilisation(load.host()).ifPresent(u -> detector.observe(load.host(), u));
        }
    }

    public void onDomainEvent(DomainEvent event) {
        cluster.applyEvent(event);
    }

    /**
     * A command the leader sent, read back from a host's command topic: how a follower (and a
     * leader rebuilding after a restart) learns the migrations in flight and, from their results,
     * the cooldowns, without issuing anything. A command this core issued itself, or saw before, is
     * ignored; so is an Abort (its migration's result follows).
     *
     * @param commandId the envelope id
     * @param sentAt    the envelope's timestamp
     */
    public void onCommandObserved(String commandId, Migrate command, long sentAt) {
        if (migrations.knows(commandId)) {
            return;
        }
        boolean draining = Optional.ofNullable(drains.get(command.source()))
                .map(d -> d.state() == MaintenanceState.ENTERING).orElse(false);
        boolean requested = requests.remove(commandId) != null || answers.containsKey(commandId);
        migrations.start(commandId, command, requested ? Purpose.MANUAL : draining ? Purpose.MAINTENANCE : Purpose.BALANCING,
                sentAt);
        TimedResult early = earlyResults.remove(commandId);
        if (early != null) {
            onCommandResult(early.result(), early.writtenAt());
        }
    }

    /**
     * Results of commands. A final result of a command this core does not know yet is kept for a
     * while: read back from Kafka, a result can come before its command (they are on different topics).
     *
     * @return what the result meant for the migration it reports on ({@link ResultOutcome.Ignored} for a
     *         result kept for later, an Abort's result, or a repeat)
     */
    public ResultOutcome onCommandResult(CommandResult result) {
        return onCommandResult(result, clock.millis());
    }

    /**
     * As {@link #onCommandResult(CommandResult)}, for a result written at {@code writtenAt}: a host whose
     * inventory was written after that already shows the move, and keeps what its inventory says.
     */
    public ResultOutcome onCommandResult(CommandResult result, long writtenAt) {
        if (result.status().isFinal() && !migrations.knows(result.commandId())) {
            earlyResults.put(result.commandId(), new TimedResult(result, writtenAt));
            if (earlyResults.size() > EARLY_RESULTS_KEPT) {
                earlyResults.remove(earlyResults.keySet().iterator().next());
            }
            return new ResultOutcome.Ignored();
        }
        long now = clock.millis();
        ResultOutcome outcome = migrations.onResult(result, now);
        if (outcome instanceof ResultOutcome.Succeeded s) {
            Migration m = s.migration();
            GuestState before = cluster.guest(m.source(), m.guest()).map(Guest::state).orElse(GuestState.RUNNING);
            cluster.completeMove(m.guest(), m.source(), m.target(), stateOnTarget(m, before), now, Math.min(writtenAt, now));
        }
        return outcome;
    }

    private static GuestState stateOnTarget(Migration m, GuestState before) {
        if (m.mode() == MigrationMode.OFFLINE) {
            return GuestState.SHUTOFF;
        }
        if (m.command().options().suspendOnTarget()) {
            return GuestState.PAUSED;
        }
        return before == GuestState.MIGRATING ? GuestState.RUNNING : before;
    }

    /**
     * EnterMaintenance, ExitMaintenance, SetAutomation, ApprovePlan, RequestMigration (kept until the
     * leader answers it) and RequestOutcome (the answer); anything else is ignored.
     *
     * @return why the message was refused, when it was: an EnterMaintenance for a host that has sent
     *         no inventory while {@link #MAX_UNKNOWN_DRAINS} such hosts already wait for maintenance
     */
    public Optional<String> onControl(Message control) {
        if (control instanceof EnterMaintenance enter) {
            if (!drains.containsKey(enter.host()) && cluster.host(enter.host()).isEmpty()
                    && drains.keySet().stream().filter(h -> cluster.host(h).isEmpty()).count() >= MAX_UNKNOWN_DRAINS) {
                return Optional.of("EnterMaintenance for " + enter.host() + ", which has sent no inventory, while "
                        + MAX_UNKNOWN_DRAINS + " other hosts without an inventory already wait for maintenance: check the"
                        + " host's name against vbal hosts, and send it again once its agent runs");
            }
            MaintenanceDrain drain = drains.computeIfAbsent(enter.host(), h -> new MaintenanceDrain(h, enter.reason()));
            drain.enter(enter.reason());
            cluster.guestsOn(enter.host()).forEach(g -> migrations.forgetFailures(g.name()));
            // A recommendation that moves a guest onto it can no longer run as shown: withdrawn, a current one follows.
            pending.values().removeIf(r -> r.purpose() != Purpose.MAINTENANCE
                    && r.moves().stream().anyMatch(m -> m.target().equals(enter.host())));
        } else if (control instanceof ExitMaintenance exit) {
            MaintenanceDrain drain = drains.get(exit.host());
            if (drain != null) {
                drain.exit();
            }
        } else if (control instanceof SetAutomation set) {
            automation = set.level();
        } else if (control instanceof ApprovePlan approve) {
            approve(approve.planId(), clock.millis());
        } else if (control instanceof RequestMigration request) {
            if (!answers.containsKey(request.requestId()) && !migrations.knows(request.requestId())) {
                requests.put(request.requestId(), request);
            }
        } else if (control instanceof RequestOutcome outcome) {
            requests.remove(outcome.requestId());
            requestWaits.remove(outcome.requestId());
            rememberAnswer(outcome);
        }
        return Optional.empty();
    }

    private void rememberAnswer(RequestOutcome outcome) {
        answers.put(outcome.requestId(), outcome);
        if (answers.size() > ANSWERS_KEPT) {
            answers.remove(answers.keySet().iterator().next());
        }
    }

    /** Deadlines, maintenance progress, detection and planning: what to send now, in order. */
    public List<Action> tick() {
        long now = clock.millis();
        List<Action> actions = new ArrayList<>(queued);
        queued.clear();
        pending.values().removeIf(r -> now - r.at() > RECOMMENDATION_TTL.toMillis());

        for (Migration m : migrations.expire(now)) {
            actions.add(new Action.SendAbort(UUID.randomUUID().toString(), m.source(), new Abort(m.commandId(), m.guest(),
                    "no final result " + Migrations.GRACE.toSeconds() + " s after its deadline; the balancer gave up on it")));
        }

        answerRequests(now, actions);
        retryApproved(now, actions);
        Round round = plan(now, false);
        for (DrainStep step : round.drains()) {
            MaintenanceDrain drain = step.drain();
            DrainRound drainRound = step.round();
            String note = "";
            if (!drainRound.moves().isEmpty()) {
                String trigger = "maintenance " + drain.host();
                if (automation == AutomationLevel.MANUAL) {
                    String planId = recommend(trigger, Purpose.MAINTENANCE, drainRound.moves(), List.of(),
                            step.imbalanceBefore(), step.imbalanceAfter(), now, actions);
                    note = "waiting for approval of plan " + planId;
                } else {
                    issue(trigger, Purpose.MAINTENANCE, drainRound.moves(), blockedLines(drainRound),
                            step.imbalanceBefore(), step.imbalanceAfter(), now, actions);
                }
            }
            drain.status(cluster, migrations, drainRound, note, now)
                    .ifPresent(s -> actions.add(new Action.PublishDecision(s.host(), s)));
        }
        // A host back in service whose return was published and whose drain has nothing left in flight needs no drain.
        drains.values().removeIf(MaintenanceDrain::finished);
        round.balancing().ifPresent(plan -> balance(round.trigger(), round.overload(), plan, now, actions));
        return actions;
    }

    /** One drain's round with the imbalance before and after its moves. */
    private record DrainStep(MaintenanceDrain drain, DrainRound round, double imbalanceBefore, double imbalanceAfter) {}

    /**
     * What one tick plans before anything is issued: each drain's round, then balancing if a host is
     * overloaded ({@code overload}) or the CPU spread is above the target.
     */
    private record Round(List<DrainStep> drains, String trigger, boolean overload, Optional<BalancingPlan> balancing,
                         double imbalanceBefore, double imbalanceAfter) {}

    /**
     * Plans on a fresh projection and fresh slots. Without {@code preview} a drain counts its guests
     * on its first round; nothing else here changes the core's state.
     */
    private Round plan(long now, boolean preview) {
        PlanningView view = view(now);
        Slots slots = migrations.slots();
        double before = view.imbalance();
        List<DrainStep> steps = new ArrayList<>();
        Set<String> leaving = new HashSet<>();
        for (MaintenanceDrain drain : drains.values()) {
            double drainBefore = view.imbalance();
            DrainRound round = preview ? drain.preview(cluster, view, planner, migrations, slots)
                    : drain.plan(cluster, view, planner, migrations, slots);
            steps.add(new DrainStep(drain, round, drainBefore, view.imbalance()));
            if (automation != AutomationLevel.MANUAL) {
                // tick issues these before it balances: they are in flight by then and may not move again.
                round.moves().forEach(m -> leaving.add(m.guest().name()));
            }
        }
        // Overloaded hosts, and with spike relief hosts hot in their last sample (projected: moves in
        // flight already count), so a jump in load is answered in the next tick rather than k samples later.
        List<String> sources = cluster.hosts().stream()
                .map(Host::name)
                .filter(h -> detector.isOverloaded(h) || settings.spikeRelief() && spiking(view, h))
                .filter(view::countsForBalance)
                .sorted(Comparator.comparingDouble((String h) -> -view.projected(h).binding())
                        .thenComparing(Comparator.naturalOrder()))
                .toList();
        double imbalance = view.imbalance();
        boolean spread = settings.targetImbalance() > 0
                && imbalance > settings.targetImbalance();
        Optional<BalancingPlan> balancing = sources.isEmpty() && !spread ? Optional.empty()
                : Optional.of(planner.balance(sources, reasons(sources, view)::get,
                        g -> !leaving.contains(g.name()) && mayBalance(g, now), view, slots));
        String trigger = sources.isEmpty()
                ? String.format(Locale.ROOT, "imbalance %.3f > %.3f", imbalance, settings.targetImbalance())
                : shortTrigger("overload " + String.join(", ", sources), sources.size());
        return new Round(steps, trigger, !sources.isEmpty(), balancing, before, view.imbalance());
    }

    /**
     * Operators' requests, oldest first: each is refused (a failing rule, an unknown guest or host, a
     * move that would not converge), waits for a free migration slot, or is issued under its own id.
     * Every answer goes to the control topic, under the request's key, in the same transaction as
     * the command: a later leader never runs a request twice nor one that was refused.
     */
    private void answerRequests(long now, List<Action> actions) {
        if (requests.isEmpty()) {
            return;
        }
        PlanningView view = view(now);
        Slots slots = migrations.slots();
        for (RequestMigration r : List.copyOf(requests.values())) {
            String id = r.requestId();
            if (migrations.knows(id)) {
                requests.remove(id);
                continue;
            }
            Optional<String> refusal = refusal(r, view);
            if (refusal.isPresent()) {
                answer(r, false, refusal.get(), now, actions);
                continue;
            }
            Guest guest = cluster.findGuest(r.guest()).orElseThrow();
            Optional<String> full = slots.whyNot(guest.host(), r.target());
            if (full.isPresent()) {
                if (now - r.requestedAt() > RequestMigration.TTL_MS) {
                    answer(r, false, "dropped: it waited more than " + RequestMigration.TTL_MS / 60_000 + " minutes for a"
                            + " free migration slot (" + full.get() + "); ask again when fewer migrations run", now, actions);
                } else {
                    requestWaits.put(id, "waits for a free migration slot: " + full.get());
                }
                continue;
            }
            Host source = cluster.host(guest.host()).orElseThrow();
            MigrationChoice choice = MigrationChoice.asRequested(guest, source.facts().linkMiBps(), settings.maxDowntimeMs(),
                    r.mode(), r.options());
            double predicted = choice.prediction().durationMs()
                    + (r.options().copyStorage() == CopyStorage.NONE ? 0 : COPY_STORAGE_ALLOWANCE.toMillis());
            String reason = "requested by " + (r.requestedBy().isEmpty() ? "an operator" : r.requestedBy());
            Migrate command = new Migrate(r.guest(), guest.host(), r.target(), r.mode(), r.options(),
                    migrations.deadline(now, predicted), reason);
            migrations.start(id, command, Purpose.MANUAL, now);
            slots.take(guest.host(), r.target());
            view.projection().move(guest, guest.host(), r.target());
            actions.add(new Action.SendMigrate(id, command, Purpose.MANUAL, false));
            double imbalance = view.imbalance();
            publish(new PlanDecision(id, "manual: migrate " + r.guest() + " to " + r.target(), automation, true, imbalance,
                    imbalance, List.of(new PlannedMove(id, r.guest(), guest.host(), r.target(), r.mode(), reason, 0, 0, 0, 0,
                    Math.round(choice.prediction().transferredMiB()))), List.of()), actions);
            answer(r, true, String.format(Locale.ROOT, "%s %s migration from %s to %s started, about %.0f s predicted",
                    r.guest(), r.mode().name().toLowerCase(Locale.ROOT).replace('_', '-'), guest.host(), r.target(),
                    choice.prediction().durationMs() / 1000), now, actions);
        }
    }

    /** Disks copied with copy-storage are not in the cost model (their size is unknown): this much is added to the deadline. */
    static final Duration COPY_STORAGE_ALLOWANCE = Duration.ofMinutes(10);

    /** Why this request cannot run now, with every failing rule; empty when it may. */
    private Optional<String> refusal(RequestMigration r, PlanningView view) {
        Optional<Guest> found = cluster.findGuest(r.guest());
        if (found.isEmpty()) {
            return Optional.of(r.guest() + " is not in any host's inventory; check the name (vbal guests)");
        }
        Guest g = found.get();
        if (g.host().equals(r.target())) {
            return Optional.of(r.guest() + " is already on " + r.target());
        }
        if (cluster.host(r.target()).isEmpty()) {
            return Optional.of(r.target() + " is not a known host: no agent has sent an inventory for it; check the name"
                    + " (vbal hosts)");
        }
        Optional<Migration> running = migrations.inFlightFor(r.guest());
        if (running.isPresent()) {
            return Optional.of(r.guest() + " is already migrating to " + running.get().target() + " (command "
                    + running.get().commandId() + "); wait until it has finished");
        }
        Host source = cluster.host(g.host()).orElseThrow();
        Explanation.HostVerdict verdict = planner.evaluate(requestPlacement(g, source, r.target(), r.mode(), r.options()),
                view);
        if (!verdict.eligible()) {
            return Optional.of(refusalText(r.guest(), r.target(), verdict));
        }
        MigrationChoice choice = MigrationChoice.asRequested(g, source.facts().linkMiBps(), settings.maxDowntimeMs(),
                r.mode(), r.options());
        return choice.possible() ? Optional.empty() : Optional.of(choice.reason());
    }

    /**
     * Why this request would be refused if the leader checked it now, on this balancer's model (the
     * API's answer before it writes the request; the leader checks again when it runs it).
     */
    public Optional<String> refusalOf(RequestMigration r) {
        return refusal(r, view(clock.millis()));
    }

    /** "web-1 cannot migrate to host-b: 2 rules fail: storage not shared (…); guest state (…)". */
    public static String refusalText(String guest, String target, Explanation.HostVerdict verdict) {
        List<Explanation.RuleFailure> f = verdict.failures();
        return guest + " cannot migrate to " + target + ": " + f.size() + (f.size() == 1 ? " rule fails: " : " rules fail: ")
                + f.stream().map(x -> x.summary() + " (" + x.reason() + ")").collect(Collectors.joining("; "));
    }

    /**
     * A manual move is checked like any other, except that CPU load does not refuse it (a busy target
     * gets a warning): the operator chose the host, and CPU time is shared, not lost. Memory limits
     * hold as always.
     */
    private Placement requestPlacement(Guest g, Host source, String target, MigrationMode mode, MigrationOptions options) {
        return new Placement(g, source, target, mode, options, Double.POSITIVE_INFINITY, settings.memoryWatermark());
    }

    private void answer(RequestMigration r, boolean accepted, String reason, long now, List<Action> actions) {
        requests.remove(r.requestId());
        requestWaits.remove(r.requestId());
        RequestOutcome outcome = new RequestOutcome(r.requestId(), r.guest(), r.target(), accepted, reason, now);
        rememberAnswer(outcome);
        actions.add(new Action.SendControl(outcome));
        if (!accepted) {
            double imbalance = view(now).imbalance();
            publish(new PlanDecision(r.requestId(), "manual: migrate " + r.guest() + " to " + r.target(), automation, false,
                    imbalance, imbalance, List.of(), List.of(reason)), actions);
        }
    }

    /**
     * Where an operator's request stands, as this balancer knows it: waiting, refused (with why),
     * running (with progress), succeeded or failed; empty when it never saw the request.
     */
    public Optional<RequestStatus> requestStatus(String requestId) {
        Optional<Migration> running = migrations.inFlight().stream().filter(m -> m.commandId().equals(requestId)).findFirst();
        if (running.isPresent()) {
            Migration m = running.get();
            return Optional.of(new RequestStatus(requestId, m.guest(), m.source(), m.target(), RequestStatus.State.RUNNING,
                    m.percent(), m.command().reason()));
        }
        Optional<Migrations.Ended> ended = migrations.recent().stream()
                .filter(e -> e.migration().commandId().equals(requestId)).reduce((a, b) -> b);
        if (ended.isPresent()) {
            Migration m = ended.get().migration();
            boolean ok = m.status() == ResultStatus.SUCCEEDED;
            return Optional.of(new RequestStatus(requestId, m.guest(), m.source(), m.target(),
                    ok ? RequestStatus.State.SUCCEEDED : RequestStatus.State.FAILED, ok ? 100 : m.percent(),
                    ended.get().outcome()));
        }
        RequestOutcome answer = answers.get(requestId);
        if (answer != null) {
            return Optional.of(new RequestStatus(requestId, answer.guest(), "", answer.target(),
                    answer.accepted() ? RequestStatus.State.ACCEPTED : RequestStatus.State.REFUSED, 0, answer.reason()));
        }
        RequestMigration r = requests.get(requestId);
        if (r != null) {
            return Optional.of(new RequestStatus(requestId, r.guest(), "", r.target(), RequestStatus.State.WAITING, 0,
                    requestWaits.getOrDefault(requestId, "waits for the leader to check it")));
        }
        return Optional.empty();
    }

    private void balance(String trigger, boolean overload, BalancingPlan plan, long now, List<Action> actions) {
        if (!plan.moves().isEmpty()) {
            if (automation == AutomationLevel.FULL) {
                issue(trigger, Purpose.BALANCING, plan.moves(), plan.notMoved(), plan.imbalanceBefore(),
                        plan.imbalanceAfter(), now, actions);
            } else {
                recommend(trigger, Purpose.BALANCING, plan.moves(), plan.notMoved(), plan.imbalanceBefore(),
                        plan.imbalanceAfter(), now, actions);
            }
        } else if (overload && !plan.notMoved().isEmpty()
                && (!trigger.equals(lastIdleTrigger) || now - lastIdleAt >= QUIET_REPEAT.toMillis())) {
            // Say once why an overloaded host is left as it is, not on every tick.
            lastIdleTrigger = trigger;
            lastIdleAt = now;
            publish(new PlanDecision(UUID.randomUUID().toString(), trigger, automation, false, plan.imbalanceBefore(),
                    plan.imbalanceAfter(), List.of(), plan.notMoved()), actions);
        }
    }

    /** A PlanDecision trigger has at most 4096 characters; hundreds of overloaded hosts are cut with a count. */
    private static String shortTrigger(String trigger, int hosts) {
        int limit = 2000;
        if (trigger.length() <= limit) {
            return trigger;
        }
        int cut = trigger.lastIndexOf(", ", limit);
        int shown = (int) trigger.substring(0, cut).chars().filter(c -> c == ',').count() + 1;
        return trigger.substring(0, cut) + " and " + (hosts - shown) + " more hosts";
    }

    /** Why each source is relieved: the detector's reason, or its spike as it is before any move. */
    private Map<String, String> reasons(List<String> sources, PlanningView view) {
        Map<String, String> reasons = new HashMap<>();
        for (String h : sources) {
            reasons.put(h, detector.isOverloaded(h) ? detector.reason(h)
                    : String.format(Locale.ROOT, "%s cpu %.2f > %.2f in its last sample (spike relief)", h,
                    view.projected(h).cpu(), settings.highWatermark()));
        }
        return reasons;
    }

    private boolean spiking(PlanningView view, String host) {
        Utilisation u = view.projected(host);
        return u.cpu() > settings.highWatermark();
    }

    private boolean mayBalance(Guest g, long now) {
        return migrations.inFlightFor(g.name()).isEmpty()
                && !migrations.inCooldown(g.name(), now)
                && !migrations.attemptsExhausted(g.name(), now);
    }

    private void issue(String trigger, Purpose purpose, List<Move> moves, List<String> notMoved, double before,
                       double after, long now, List<Action> actions) {
        issue(UUID.randomUUID().toString(), trigger, purpose, false, moves, notMoved, before, after, now, actions);
    }

    private void issue(String planId, String trigger, Purpose purpose, boolean approved, List<Move> moves,
                       List<String> notMoved, double before, double after, long now, List<Action> actions) {
        List<PlannedMove> planned = new ArrayList<>();
        for (Move mv : moves) {
            String commandId = UUID.randomUUID().toString();
            Migrate command = new Migrate(mv.guest().name(), mv.source(), mv.target(), mv.mode(), mv.options(),
                    migrations.deadline(now, mv.prediction().durationMs()), mv.reason());
            migrations.start(commandId, command, purpose, now);
            actions.add(new Action.SendMigrate(commandId, command, purpose, approved));
            planned.add(mv.planned(commandId));
        }
        publish(new PlanDecision(planId, trigger, automation, !planned.isEmpty(), before, after, planned, notMoved),
                actions);
    }

    /** Publishes a recommendation unless the same one is already waiting for approval; returns its plan id. */
    private String recommend(String trigger, Purpose purpose, List<Move> moves, List<String> notMoved, double before,
                             double after, long now, List<Action> actions) {
        String signature = purpose + ":" + moves.stream()
                .map(m -> m.guest().name() + ">" + m.target() + ":" + m.mode())
                .collect(Collectors.joining(","));
        for (Recommendation r : pending.values()) {
            if (r.signature().equals(signature)) {
                return r.planId();
            }
        }
        String planId = UUID.randomUUID().toString();
        pending.put(planId, new Recommendation(planId, trigger, signature, purpose, moves, now));
        publish(new PlanDecision(planId, trigger, automation, false, before, after,
                moves.stream().map(m -> m.planned("")).toList(), notMoved), actions);
        return planId;
    }

    private void approve(String planId, long now) {
        Recommendation r = pending.get(planId);
        if (r == null || now - r.at() > RECOMMENDATION_TTL.toMillis()) {
            pending.remove(planId);
            double imbalance = view(now).imbalance();
            // Kept in the snapshot for operators, not published: there is no plan to report on.
            remember(new PlanDecision(planId, "approve " + planId, automation, false, imbalance, imbalance, List.of(),
                    List.of("plan " + planId + " is unknown or has expired; approve a current recommendation instead.")));
            return;
        }
        pending.remove(planId);
        runApproved(new Recommendation(planId, r.trigger(), r.signature(), r.purpose(), r.moves(), now), true, now, queued);
    }

    /** Approved moves that waited for a slot: those that have one now go; after the TTL the rest are dropped, said so. */
    private void retryApproved(long now, List<Action> actions) {
        for (Recommendation r : List.copyOf(approvedWaiting.values())) {
            if (now - r.at() > RECOMMENDATION_TTL.toMillis()) {
                approvedWaiting.remove(r.planId());
                double imbalance = view(now).imbalance();
                publish(new PlanDecision(r.planId(), "approved: " + r.trigger(), automation, false, imbalance, imbalance,
                        List.of(), r.moves().stream().map(m -> m.guest().name() + " waited " + RECOMMENDATION_TTL.toMinutes()
                                + " min for a migration slot and is no longer part of the approved plan; approve a"
                                + " current recommendation instead.").toList()), actions);
            } else {
                runApproved(r, false, now, actions);
            }
        }
    }

    /**
     * Issues an approved plan's moves that still pass every rule and have a slot. Moves that wait only for a slot
     * stay approved ({@link #approvedWaiting}); the others are dropped with the reason. The first time the decision
     * is always published, later only when a waiting move went or was dropped.
     */
    private void runApproved(Recommendation r, boolean first, long now, List<Action> actions) {
        PlanningView view = view(now);
        Slots slots = migrations.slots();
        double before = view.imbalance();
        double ceiling = settings.highWatermark();
        List<Move> still = new ArrayList<>();
        List<Move> waiting = new ArrayList<>();
        List<String> notMoved = new ArrayList<>();
        for (Move mv : r.moves()) {
            String name = mv.guest().name();
            Optional<Guest> guest = cluster.guest(mv.source(), name);
            Optional<Host> source = cluster.host(mv.source());
            if (guest.isEmpty() || source.isEmpty()) {
                notMoved.add(name + " is no longer on " + mv.source() + ".");
                continue;
            }
            if (migrations.inFlightFor(name).isPresent()) {
                notMoved.add(name + " is already migrating.");
                continue;
            }
            Explanation.HostVerdict verdict = planner.evaluate(new Placement(guest.get(), source.get(), mv.target(),
                    mv.mode(), mv.options(), ceiling, settings.memoryWatermark()), view);
            if (!verdict.eligible()) {
                notMoved.add(name + " cannot go to " + mv.target() + " any more: " + verdict.failures().stream()
                        .map(Explanation.RuleFailure::reason).collect(Collectors.joining(" ")));
                continue;
            }
            Optional<String> full = slots.whyNot(mv.source(), mv.target());
            if (full.isPresent()) {
                notMoved.add(name + " waits: " + full.get() + "; it goes when a slot frees.");
                waiting.add(mv);
                continue;
            }
            view.projection().move(guest.get(), mv.source(), mv.target());
            slots.take(mv.source(), mv.target());
            still.add(new Move(guest.get(), mv.source(), mv.target(), mv.mode(), mv.options(), mv.prediction(),
                    mv.reason(), mv.sourceBefore(), mv.sourceAfter(), mv.targetBefore(), mv.targetAfter()));
        }
        if (waiting.isEmpty()) {
            approvedWaiting.remove(r.planId());
        } else {
            approvedWaiting.put(r.planId(), new Recommendation(r.planId(), r.trigger(), r.signature(), r.purpose(),
                    waiting, r.at()));
        }
        boolean dropped = notMoved.size() > waiting.size();
        if (first || !still.isEmpty() || dropped) {
            issue(r.planId(), "approved: " + r.trigger(), r.purpose(), true, still, notMoved, before, view.imbalance(),
                    now, actions);
        }
    }

    private void publish(PlanDecision decision, List<Action> actions) {
        remember(decision);
        actions.add(new Action.PublishDecision(decision.planId(), decision));
    }

    private void remember(PlanDecision decision) {
        recentDecisions.addLast(decision);
        while (recentDecisions.size() > RECENT_DECISIONS) {
            recentDecisions.removeFirst();
        }
    }

    private static List<String> blockedLines(DrainRound round) {
        return round.blocked().stream().map(b -> b.guest() + ": " + b.reason()).toList();
    }

    /** The cluster as planning sees it: every migration in flight counted as done. */
    private PlanningView view(long now) {
        Projection projection = Projection.of(cluster);
        for (Migration m : migrations.inFlight()) {
            cluster.guest(m.source(), m.guest()).ifPresent(g -> projection.move(g, m.source(), m.target()));
        }
        return new PlanningView(cluster, projection, maintenanceStates(), settings.hostStaleAfter(), migrations, now);
    }

    private Map<String, MaintenanceState> maintenanceStates() {
        Map<String, MaintenanceState> states = new HashMap<>();
        drains.forEach((h, d) -> states.put(h, d.state()));
        return states;
    }

    /** An immutable view for the terminal, CLI and dashboard. */
    public ClusterSnapshot snapshot() {
        long now = clock.millis();
        Map<String, MaintenanceState> states = maintenanceStates();
        PlanningView asIs = new PlanningView(cluster, Projection.of(cluster), states, settings.hostStaleAfter(),
                migrations, now);
        Set<String> migrating = new HashSet<>();
        migrations.inFlight().forEach(m -> migrating.add(m.guest()));
        List<HostSnapshot> hosts = new ArrayList<>();
        List<GuestSnapshot> guestViews = new ArrayList<>();
        for (Host h : cluster.hosts()) {
            Utilisation u = asIs.projected(h.name());
            List<Guest> guests = cluster.guestsOn(h.name());
            int running = 0;
            for (Guest g : guests) {
                if (g.state() == GuestState.RUNNING) {
                    running++;
                }
                guestViews.add(new GuestSnapshot(g.name(), h.name(), g.state(), g.descriptor().vcpus(),
                        g.descriptor().memoryMiB(), g.cpuCores(), g.expectedCores(), g.isPinned(),
                        migrating.contains(g.name())));
            }
            hosts.add(new HostSnapshot(h.name(), h.facts().cpus(), h.facts().memoryMiB(), u.cpu(), u.memory(),
                    h.networkLoad(), h.netMiBps(), h.diskMiBps(), u.expectedCpu(), detector.isOverloaded(h.name()),
                    states.getOrDefault(h.name(), MaintenanceState.ACTIVE), guests.size(), running,
                    asIs.isStale(h.name())));
        }
        List<MigrationSnapshot> inFlight = migrations.inFlight().stream()
                .map(m -> new MigrationSnapshot(m.commandId(), m.guest(), m.source(), m.target(), m.mode(), m.percent(),
                        m.startedAt(), m.command().reason()))
                .toList();
        List<FinishedMigration> recent = migrations.recent().stream()
                .map(e -> new FinishedMigration(e.migration().commandId(), e.migration().guest(), e.migration().source(),
                        e.migration().target(), e.migration().mode(), e.migration().purpose(), e.migration().status(),
                        e.migration().command().reason(), e.outcome(), e.migration().startedAt(), e.at()))
                .toList();
        List<RecommendationSnapshot> recommended = pending.values().stream()
                .map(r -> new RecommendationSnapshot(r.planId(), r.trigger(), r.purpose(), r.moves().stream()
                        .map(m -> new RecommendationSnapshot.Move(m.guest().name(), m.source(), m.target(), m.reason()))
                        .toList(), r.at(), r.at() + RECOMMENDATION_TTL.toMillis()))
                .toList();
        List<MaintenanceStatus> maintenance = drains.values().stream().map(MaintenanceDrain::lastStatus).toList();
        return new ClusterSnapshot(now, automation, hosts, inFlight, migrations.issued(), migrations.succeeded(),
                migrations.failed(), asIs.imbalance(), maintenance, List.copyOf(recentDecisions), guestViews, recent,
                recommended);
    }

    /**
     * What {@link #tick()} would plan if it ran now, without issuing, recommending or remembering
     * anything: the core is the same afterwards. One difference remains: a migration the next
     * tick would abort as overdue still counts as in flight here.
     */
    public Preview preview() {
        long now = clock.millis();
        Round round = plan(now, true);
        List<Preview.Step> steps = new ArrayList<>();
        for (DrainStep step : round.drains()) {
            DrainRound r = step.round();
            List<String> notMoved = new ArrayList<>(blockedLines(r));
            r.waiting().forEach(g -> notMoved.add(g + " waits for a free migration slot to leave " + step.drain().host()
                    + "."));
            if (!r.moves().isEmpty() || !notMoved.isEmpty()) {
                steps.add(new Preview.Step("maintenance " + step.drain().host(), Purpose.MAINTENANCE,
                        automation != AutomationLevel.MANUAL, proposed(r.moves()), notMoved, step.imbalanceBefore(),
                        step.imbalanceAfter()));
            }
        }
        round.balancing()
                .filter(plan -> !plan.moves().isEmpty() || !plan.notMoved().isEmpty())
                .ifPresent(plan -> steps.add(new Preview.Step(round.trigger(), Purpose.BALANCING,
                        automation == AutomationLevel.FULL, proposed(plan.moves()), plan.notMoved(),
                        plan.imbalanceBefore(), plan.imbalanceAfter())));
        return new Preview(now, automation, migrations.inFlight().size(), steps, round.imbalanceBefore(),
                round.imbalanceAfter());
    }

    private static List<Preview.ProposedMove> proposed(List<Move> moves) {
        return moves.stream()
                .map(m -> new Preview.ProposedMove(m.guest().name(), m.source(), m.target(), m.mode(), m.options(),
                        m.reason(), Math.max(0, m.sourceBefore()), Math.max(0, m.sourceAfter()),
                        Math.max(0, m.targetBefore()), Math.max(0, m.targetAfter()), m.costMiB(),
                        Math.round(m.prediction().durationMs()), Math.round(m.prediction().downtimeMs())))
                .toList();
    }

    /** Why and where the guest can go: every failing rule per host, and a counted summary. */
    public Explanation explain(String guestName) {
        return explain(guestName, Optional.empty());
    }

    /** Whether {@code target} can take the guest: every rule that fails there, and the guest's notes. */
    public Explanation explain(String guestName, String target) {
        return explain(guestName, Optional.of(target));
    }

    /**
     * Like {@link #explain(String)}, for a move the operator describes: this mode and these options
     * (virsh's), checked as a manual request would be. With a target, that host's verdict only.
     */
    public Explanation explain(String guestName, Optional<String> target, MigrationMode mode, MigrationOptions options) {
        return explain(guestName, target, Optional.of(new Asked(mode, options)));
    }

    private record Asked(MigrationMode mode, MigrationOptions options) {}

    private Explanation explain(String guestName, Optional<String> target) {
        return explain(guestName, target, Optional.empty());
    }

    private Explanation explain(String guestName, Optional<String> target, Optional<Asked> asked) {
        long now = clock.millis();
        Optional<Guest> found = cluster.findGuest(guestName);
        if (found.isEmpty()) {
            return Explanation.unknown(guestName, "",
                    guestName + " is not in any host's inventory; check the name or wait for the host's next inventory.");
        }
        Guest g = found.get();
        if (target.isPresent() && cluster.host(target.get()).isEmpty()) {
            return Explanation.unknown(guestName, g.host(), target.get()
                    + " is not a known host: no agent has sent an inventory for it; check the name.");
        }
        Host source = cluster.host(g.host()).orElseThrow();
        boolean draining = Optional.ofNullable(drains.get(g.host()))
                .map(d -> d.state() == MaintenanceState.ENTERING).orElse(false);
        PlanningView view = view(now);
        double ceiling = settings.highWatermark();
        List<String> notes = new ArrayList<>();
        migrations.inFlightFor(guestName).ifPresent(m -> notes.add(guestName + " is migrating to " + m.target()
                + " now (command " + m.commandId() + ", " + m.percent() + "%)."));
        if (migrations.inCooldown(guestName, now)) {
            notes.add(guestName + " moved recently" + migrations.cameFrom(guestName).map(h -> " from " + h).orElse("")
                    + "; balancing leaves it alone for another "
                    + Math.max(1, (migrations.cooldownUntil(guestName) - now) / 1000) + " s.");
        }
        if (migrations.attemptsExhausted(guestName, now)) {
            notes.add(migrations.failureSummary(guestName, now) + "; balancing no longer tries it.");
        }
        Placement placement;
        if (asked.isPresent()) {
            MigrationChoice choice = MigrationChoice.asRequested(g, source.facts().linkMiBps(), settings.maxDowntimeMs(),
                    asked.get().mode(), asked.get().options());
            if (!choice.possible()) {
                notes.add(choice.reason());
            }
            placement = requestPlacement(g, source, g.host(), asked.get().mode(), asked.get().options());
        } else {
            if (g.state() == GuestState.RUNNING) {
                MigrationChoice live = MigrationChoice.forBalancing(g, source.facts().linkMiBps(), settings.maxDowntimeMs(),
                        settings.balancingFallbacks());
                if (!live.possible()) {
                    notes.add(live.reason());
                }
            }
            placement = new Placement(g, source, g.host(), MigrationChoice.baseMode(g.state()),
                    MigrationOptions.move(), ceiling, settings.memoryWatermark());
        }
        return target.isPresent()
                ? planner.explainTarget(placement.withTarget(target.get()), view, notes)
                : planner.explain(placement, view, notes);
    }
}
