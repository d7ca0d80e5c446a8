package org.virtbalancer.deploy.cli;

import org.virtbalancer.balancer.core.BalancerCore;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.PlannedMove;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code vbal approve PLAN}: run a recommended plan (ApprovePlan), and optionally follow its migrations. */
@Command(name = "approve", mixinStandardHelpOptions = true,
        description = {"Run a plan the balancer recommended and that waits for approval (ApprovePlan on the control"
                + " topic). vbal recommendations lists them with their ids. The plan must have been recommended in"
                + " the last 10 minutes and not have run yet; that is checked on the decisions topic first.",
                "With --wait, follow it: the moves the balancer issued (and why any no longer could), then each"
                        + " migration's progress, until all have ended."},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:sent (with --wait: every migration of the plan succeeded)",
                "1:Kafka refused; with --wait: a migration failed, or none of the moves could start any more", ExitCode.USAGE_HELP,
                ExitCode.TIMEOUT_HELP, ExitCode.KAFKA_UNREACHABLE_HELP,
                "6:no such plan is waiting for approval (unknown, expired, or it already ran)", ExitCode.UNCONFIRMED_HELP},
        footer = {"%nExamples:", "  vbal approve 3f1c2a9e-5b7d-4e0a-9c1f-2d8e6b4a7c10 --wait",
                "  vbal approve \"$(vbal recommendations --json | jq -r '.[0].planId')\""})
final class ApproveCommand implements Callable<Integer> {
    /** A recommendation is dropped this long after it was made; decisions this old are read to find it. */
    private static final Duration EXPIRES_AFTER = BalancerCore.RECOMMENDATION_TTL;

    @Mixin ConnectionOptions connection;
    @Mixin SigningOptions signing;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "PLAN", description = "The plan's id, as vbal recommendations lists it")
    String plan;

    @Option(names = "--wait", description = "Follow the plan's migrations and return when all have ended")
    boolean await;

    @Option(names = "--timeout", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "With --wait: give up after this long (default: 30m)")
    Duration timeout = Duration.ofMinutes(30);

    @Override
    public Integer call() {
        String id = Arguments.name("PLAN", plan);
        Output output = new Output(spec);
        try (KafkaLink kafka = KafkaLink.open(connection, signing)) {
            Topics topics = kafka.topics();
            long now = System.currentTimeMillis();
            // Twice the lifetime: a plan approved late in its life still shows with its recommendation.
            kafka.readFrom(now - 2 * EXPIRES_AFTER.toMillis(), topics.decisions());
            History history = new History(id);
            kafka.readToEnd(history::see);
            history.checkWaiting(now);
            if (await) {
                kafka.readNew(topics.commandResults());
            }
            Envelope env = kafka.send(new ApprovePlan(id));
            output.line("sent ApprovePlan for plan " + id + " (message " + env.id() + ")");
            return await ? follow(kafka, id, output) : ExitCode.OK;
        }
    }

    /** What the decisions topic says about one plan: when it was recommended, and whether it ran. */
    static final class History {
        private final String planId;
        private long recommendedAt = -1;
        private PlanDecision ran;

        History(String planId) {
            this.planId = planId;
        }

        void see(Envelope env) {
            if (env.body() instanceof PlanDecision d && d.planId().equals(planId)) {
                // A recommendation is published once; a later decision of the same plan is its approval's outcome.
                if (d.executed() || recommendedAt >= 0) {
                    ran = d;
                } else {
                    recommendedAt = env.ts();
                }
            }
        }

        void checkWaiting(long now) {
            if (ran != null) {
                throw CommandFailure.unknown("plan " + planId + " has already run (" + ran.trigger() + ": "
                        + Figures.count(ran.moves().size(), "migration") + " issued); vbal migrations --recent shows"
                        + " how they went");
            }
            if (recommendedAt < 0) {
                throw CommandFailure.unknown("no plan " + planId + " was recommended in the last "
                        + Figures.elapsed(EXPIRES_AFTER.toMillis()) + "; vbal recommendations lists the plans waiting"
                        + " for approval");
            }
            long expiresAt = recommendedAt + EXPIRES_AFTER.toMillis();
            if (expiresAt < now) {
                throw CommandFailure.unknown("plan " + planId + " expired at " + Figures.clock(expiresAt) + ", "
                        + Figures.elapsed(EXPIRES_AFTER.toMillis()) + " after it was recommended; vbal"
                        + " recommendations lists the current ones");
            }
        }
    }

    /** Waits for the plan's outcome, then shows its migrations until each has ended. */
    private int follow(KafkaLink kafka, String id, Output output) {
        ProgressView progress = null;
        PlanDecision outcome = null;
        Map<String, CommandResult> results = new HashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Envelope env : kafka.poll(Duration.ofMillis(500))) {
                if (env.body() instanceof CommandResult r) {
                    // A late progress report must not hide the final result that overtook it.
                    results.merge(r.commandId(), r, (old, neu) -> old.status().isFinal() ? old : neu);
                } else if (outcome == null && env.body() instanceof PlanDecision d && d.planId().equals(id)) {
                    outcome = d;
                    output.line("plan " + id + " ran: " + Figures.count(d.moves().size(), "migration") + " issued");
                    d.notMoved().forEach(why -> output.line("  not moved: " + why));
                    if (d.moves().isEmpty()) {
                        throw CommandFailure.failed("none of plan " + id + "'s moves could start any more (reasons"
                                + " above); vbal recommendations lists what the balancer recommends now");
                    }
                    progress = output.progress();
                }
            }
            if (outcome != null) {
                List<String> lines = new ArrayList<>();
                List<String> failed = new ArrayList<>();
                boolean allEnded = true;
                for (PlannedMove m : outcome.moves()) {
                    CommandResult r = results.get(m.commandId());
                    lines.add(moveLine(m, r));
                    allEnded &= r != null && r.status().isFinal();
                    if (r != null && r.status().isFinal() && r.status() != ResultStatus.SUCCEEDED) {
                        failed.add(m.guest() + ": " + r.reason());
                    }
                }
                progress.show(lines);
                if (allEnded) {
                    if (!failed.isEmpty()) {
                        throw CommandFailure.failed(failed.size() + " of " + outcome.moves().size() + " migrations of"
                                + " plan " + id + " failed: " + String.join("; ", failed));
                    }
                    output.line("plan " + id + " done: " + Figures.count(outcome.moves().size(), "migration")
                            + " succeeded");
                    return ExitCode.OK;
                }
            }
        }
        throw new CommandFailure(ExitCode.TIMEOUT, "gave up after " + Figures.elapsed(timeout.toMillis()) + ": plan "
                + id + (outcome == null ? " has not run yet; vbal recommendations shows whether it still waits"
                : "'s migrations go on; vbal migrations shows them"));
    }

    /** "hot-1 host-1 → host-2  [####......]  40% progress", or the final result. */
    static String moveLine(PlannedMove m, CommandResult r) {
        int percent = r == null ? 0 : r.status() == ResultStatus.SUCCEEDED ? 100 : r.percent();
        String state = r == null ? "issued" : r.status().name().toLowerCase(Locale.ROOT);
        String why = r != null && r.status().isFinal() && r.status() != ResultStatus.SUCCEEDED ? ": " + r.reason() : "";
        return String.format(Locale.ROOT, "  %s %s → %s  %s %3d%% %s%s", m.guest(), m.source(), m.target(),
                Figures.bar(percent, 100, 10), percent, state, why);
    }
}
