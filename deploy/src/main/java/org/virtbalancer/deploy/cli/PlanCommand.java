package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import org.virtbalancer.balancer.core.Preview;
import org.virtbalancer.protocol.AutomationLevel;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code vbal plan}: what the balancer would do if it decided now, asked over its HTTP API. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Show what the balancer would do now (a dry run): each move with its reason, the loads before"
                + " and after, and its predicted cost; why nothing more would move; the imbalance before and after."
                + " Nothing is issued or recommended (GET /api/plan).",
                "Plans the balancer recommended and that wait for approval: vbal recommendations."},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:shown", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.API_UNREACHABLE_HELP},
        footer = {"%nExamples:", "  vbal plan", "  vbal plan --json"})
public final class PlanCommand extends ApiReadCommand {
    private static final TypeReference<Preview> PREVIEW = new TypeReference<>() {};

    @Override
    String path() {
        return "/api/plan";
    }

    @Override
    List<String> text(String body) {
        return text(BalancerApi.read(body, PREVIEW, "a plan"));
    }

    /** The plan as operators read it: one line per move, its reason, what would not move, and the imbalance. */
    static List<String> text(Preview p) {
        List<String> lines = new ArrayList<>();
        String inFlight = p.inFlight() == 0 ? "" : " (" + p.inFlight() + (p.inFlight() == 1 ? " migration" : " migrations")
                + " in flight, counted as done)";
        if (p.idle()) {
            lines.add("nothing to do: no host is overloaded or draining" + inFlight + ".");
            lines.add(String.format(Locale.ROOT, "imbalance %.3f", p.imbalanceBefore()));
            return lines;
        }
        for (Preview.Step step : p.steps()) {
            int n = step.moves().size();
            String what = n == 0 ? "no move now"
                    : (step.wouldIssue() ? "would issue " : "would recommend ") + n + (n == 1 ? " move" : " moves")
                    + (step.wouldIssue() ? "" : " (automation " + p.automation() + ": approve the plan to run it)");
            lines.add(step.trigger() + ": " + what);
            for (Preview.ProposedMove m : step.moves()) {
                lines.add("  " + move(m));
            }
            for (String why : step.notMoved()) {
                lines.add("  not moved: " + why);
            }
        }
        lines.add(String.format(Locale.ROOT, "imbalance %.3f → %.3f%s", p.imbalanceBefore(), p.imbalanceAfter(), inFlight));
        if (p.automation() != AutomationLevel.FULL) {
            lines.add("automation " + p.automation() + ": "
                    + (p.automation() == AutomationLevel.MANUAL ? "every move is recommended, not issued."
                    : "maintenance moves are issued, balancing moves recommended."));
        }
        return lines;
    }

    /** "web-3 host-1 → host-4, live: host-1 0.92 → 0.71, host-4 0.30 → 0.51; 2.0 GiB in ~21 s, paused 12 ms; why: …" */
    static String move(Preview.ProposedMove m) {
        return String.format(Locale.ROOT, "%s %s → %s, %s: %s %.2f → %.2f, %s %.2f → %.2f; %s in ~%s, paused %d ms; why: %s",
                m.guest(), m.source(), m.target(), how(m), m.source(), m.sourceBefore(), m.sourceAfter(), m.target(),
                m.targetBefore(), m.targetAfter(), Figures.size(m.transferMiB()), Figures.seconds(m.durationMs()),
                m.downtimeMs(), m.reason());
    }

    private static String how(Preview.ProposedMove m) {
        return switch (m.mode()) {
            case OFFLINE -> "offline";
            case NON_LIVE -> "non-live";
            case LIVE -> m.options().suspendOnTarget() ? "live, left paused"
                    : m.options().postCopy() ? "live with post-copy"
                    : m.options().autoConverge() ? "live with auto-converge" : "live";
        };
    }
}
