package org.virtbalancer.balancer.maintenance;

import org.virtbalancer.balancer.execute.Migrations;
import org.virtbalancer.balancer.execute.Slots;
import org.virtbalancer.balancer.model.Cluster;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.plan.Move;
import org.virtbalancer.balancer.plan.MigrationChoice;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.Planner;
import org.virtbalancer.balancer.plan.PlanningView;
import org.virtbalancer.balancer.plan.Target;
import org.virtbalancer.protocol.BlockedGuest;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.MigrationOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One host's maintenance: from EnterMaintenance it takes no guests and every guest leaves it by
 * the right kind of migration, regardless of cooldowns and balancing limits but within the
 * concurrency limits; once it is empty it is in maintenance until ExitMaintenance.
 */
public final class MaintenanceDrain {
    /** A draining host's status is republished at least this often, so dashboards see it is alive. */
    public static final Duration STATUS_EVERY = Duration.ofSeconds(5);

    private final String host;
    private String reason;
    private MaintenanceState state = MaintenanceState.ENTERING;
    private int total = -1;
    private MaintenanceStatus lastStatus;
    private long lastPublishedAt = Long.MIN_VALUE;

    public MaintenanceDrain(String host, String reason) {
        this.host = host;
        this.reason = reason;
        this.lastStatus = new MaintenanceStatus(host, state, 0, 0, List.of(), List.of(), "draining " + host);
    }

    public String host() {
        return host;
    }

    public MaintenanceState state() {
        return state;
    }

    public String reason() {
        return reason;
    }

    /** EnterMaintenance again: a host back in service drains afresh; a draining or empty host carries on. */
    public void enter(String newReason) {
        reason = newReason;
        if (state == MaintenanceState.ACTIVE) {
            state = MaintenanceState.ENTERING;
            total = -1;
        }
    }

    /** ExitMaintenance: back in service; migrations already in flight run to completion. */
    public void exit() {
        state = MaintenanceState.ACTIVE;
    }

    /** Which guests leave now, and which cannot leave and why; the first round counts the guests to move. */
    public DrainRound plan(Cluster cluster, PlanningView view, Planner planner, Migrations migrations, Slots slots) {
        if (state == MaintenanceState.ENTERING && cluster.host(host).isPresent() && total < 0) {
            total = cluster.guestsOn(host).size();
        }
        return preview(cluster, view, planner, migrations, slots);
    }

    /** The round {@link #plan} would make, leaving this drain as it is (only the view and slots change). */
    public DrainRound preview(Cluster cluster, PlanningView view, Planner planner, Migrations migrations, Slots slots) {
        Optional<Host> source = cluster.host(host);
        if (state != MaintenanceState.ENTERING || source.isEmpty()) {
            return DrainRound.NONE;
        }
        List<Guest> guests = cluster.guestsOn(host);
        List<Move> moves = new ArrayList<>();
        List<BlockedGuest> blocked = new ArrayList<>();
        List<String> waiting = new ArrayList<>();
        double ceiling = planner.policy().highWatermark();
        for (Guest g : guests) {
            if (migrations.inFlightFor(g.name()).isPresent()) {
                continue;
            }
            if (migrations.attemptsExhausted(g.name(), view.now())) {
                blocked.add(new BlockedGuest(g.name(), migrations.failureSummary(g.name(), view.now())
                        + "; fix the cause and send EnterMaintenance again to retry."));
                continue;
            }
            Placement placement = new Placement(g, source.get(), host, MigrationChoice.baseMode(g.state()),
                    MigrationOptions.move(), ceiling, planner.policy().memoryWatermark());
            List<Target> targets = planner.eligibleTargets(placement, view);
            if (targets.isEmpty()) {
                blocked.add(new BlockedGuest(g.name(), planner.explain(placement, view, List.of()).summary()));
                continue;
            }
            if (slots.clusterFull() || slots.sourceFull(host)) {
                waiting.add(g.name());
                continue;
            }
            String notConverging = "";
            boolean placed = false;
            for (Target t : targets) {
                if (slots.targetFull(t.host())) {
                    continue;
                }
                double bandwidth = Math.min(source.get().facts().linkMiBps(),
                        view.host(t.host()).map(h -> h.facts().linkMiBps()).orElse(0.0));
                MigrationChoice choice = MigrationChoice.forMaintenance(g, bandwidth,
                        planner.policy().maxDowntimeMs(), planner.policy().allowPauseForMaintenance());
                if (!choice.possible()) {
                    notConverging = choice.reason();
                    continue;
                }
                moves.add(move(g, t, choice, view));
                slots.take(host, t.host());
                placed = true;
                break;
            }
            if (!placed) {
                if (notConverging.isEmpty()) {
                    waiting.add(g.name());
                } else {
                    blocked.add(new BlockedGuest(g.name(), notConverging));
                }
            }
        }
        return new DrainRound(moves, blocked, waiting);
    }

    private Move move(Guest g, Target t, MigrationChoice choice, PlanningView view) {
        double sourceBefore = view.projected(host).binding();
        view.projection().move(g, host, t.host());
        double sourceAfter = view.projected(host).binding();
        String how = switch (choice.mode()) {
            case OFFLINE -> "offline (definition only)";
            case NON_LIVE -> "non-live (paused for the copy)";
            case LIVE -> choice.options().suspendOnTarget() ? "live, staying paused on the target"
                    : choice.options().autoConverge() ? "live with auto-converge"
                    : choice.options().postCopy() ? "live with post-copy" : "live";
        };
        String why = String.format(Locale.ROOT, "%s is entering maintenance%s; %s moves %s to %s (%.2f → %.2f)", host,
                reason.isEmpty() ? "" : " (" + reason + ")", g.name(), how, t.host(), t.before().binding(),
                t.after().binding());
        return new Move(g, host, t.host(), choice.mode(), choice.options(), choice.prediction(), why, sourceBefore,
                sourceAfter, t.before().binding(), t.after().binding());
    }

    /**
     * The status after this round; moves to IN_MAINTENANCE once the host is empty with nothing in
     * flight. Returns it when it should be published: on any change, and every {@link #STATUS_EVERY}
     * while draining.
     */
    public Optional<MaintenanceStatus> status(Cluster cluster, Migrations migrations, DrainRound round, String note,
                                              long now) {
        boolean known = cluster.host(host).isPresent();
        int remaining = cluster.guestsOn(host).size();
        List<String> migrating = migrations.inFlight().stream()
                .filter(m -> m.source().equals(host))
                .map(m -> m.guest())
                .sorted()
                .toList();
        if (state == MaintenanceState.ENTERING && known && remaining == 0 && migrating.isEmpty()) {
            state = MaintenanceState.IN_MAINTENANCE;
        }
        String message = switch (state) {
            case ENTERING -> !known
                    ? host + " is not a known host yet: it has sent no inventory; its guests will leave once it does."
                    : "draining " + host + ": " + remaining + " of " + Math.max(total, remaining) + " guests left, "
                    + migrating.size() + " migrating, " + round.blocked().size() + " blocked"
                    + (note.isEmpty() ? "" : "; " + note);
            case IN_MAINTENANCE -> host + " is empty and in maintenance; send ExitMaintenance to return it to service.";
            case ACTIVE -> host + " is back in service" + (migrating.isEmpty() ? "."
                    : "; " + migrating.size() + " migrations the drain started run to completion.");
        };
        MaintenanceStatus status = new MaintenanceStatus(host, state, Math.max(0, Math.max(total, remaining)), remaining,
                migrating, state == MaintenanceState.ENTERING ? round.blocked() : List.of(), message);
        boolean changed = !status.equals(lastStatus);
        boolean due = state == MaintenanceState.ENTERING && now - lastPublishedAt >= STATUS_EVERY.toMillis();
        lastStatus = status;
        if (changed || due || lastPublishedAt == Long.MIN_VALUE) {
            lastPublishedAt = now;
            return Optional.of(status);
        }
        return Optional.empty();
    }

    /**
     * Whether this drain is over: the host is back in service, that was published, and no
     * migration the drain started is still running.
     */
    public boolean finished() {
        return state == MaintenanceState.ACTIVE && lastStatus.state() == MaintenanceState.ACTIVE
                && lastStatus.migrating().isEmpty() && lastPublishedAt != Long.MIN_VALUE;
    }

    /** The last status built, for snapshots. */
    public MaintenanceStatus lastStatus() {
        return lastStatus;
    }
}
