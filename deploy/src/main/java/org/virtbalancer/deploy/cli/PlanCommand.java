package org.virtbalancer.deploy.cli;

import org.virtbalancer.balancer.core.Preview;
import org.virtbalancer.protocol.AutomationLevel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code vbal plan}: what the balancer would do if it decided now, asked over its HTTP API. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Show what the balancer would do now (a dry run): each move with its reason, the loads before"
                + " and after, and its predicted cost; why nothing more would move; the imbalance before and after."
                + " Nothing is issued or recommended.",
                "Exit codes: 0 shown; 1 the balancer failed to answer; 2 bad arguments; 5 its API is unreachable."})
public final class PlanCommand implements Callable<Integer> {
    @Mixin ApiOptions api;
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print the API's JSON answer (GET /api/plan) instead of text")
    boolean json;

    @Override
    public Integer call() {
        MaintenanceCommand.Output output = new MaintenanceCommand.Output(spec);
        BalancerApi.Reply reply;
        try {
            reply = new BalancerApi(api.base()).get("/api/plan", output);
        } catch (IllegalArgumentException e) {
            output.error(e.getMessage());
            return BalancerApi.EXIT_USAGE;
        }
        return reply.print(json, Preview.class, "a plan", PlanCommand::text, output);
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
                m.targetBefore(), m.targetAfter(), size(m.transferMiB()), duration(m.durationMs()), m.downtimeMs(),
                m.reason());
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

    private static String size(long mib) {
        return mib >= 1024 ? String.format(Locale.ROOT, "%.1f GiB", mib / 1024.0) : mib + " MiB";
    }

    private static String duration(long ms) {
        return ms >= 10_000 ? Math.round(ms / 1000.0) + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
