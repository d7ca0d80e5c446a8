package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import org.virtbalancer.balancer.core.RecommendationSnapshot;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code vbal recommendations}: the plans waiting for an operator's approval, with their ids. */
@Command(name = "recommendations", mixinStandardHelpOptions = true,
        description = {"List the plans the balancer recommended and that wait for approval (GET"
                + " /api/recommendations): under manual automation every plan, under partial the balancing ones."
                + " Each shows its id, what triggered it, its moves with their reasons, and when it expires.",
                "Run one with: vbal approve PLAN."},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:shown", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.API_UNREACHABLE_HELP},
        footer = {"%nExamples:", "  vbal recommendations",
                "  vbal approve \"$(vbal recommendations --json | jq -r '.[0].planId')\" --wait"})
final class RecommendationsCommand extends ApiReadCommand {
    private static final TypeReference<List<RecommendationSnapshot>> PLANS = new TypeReference<>() {};

    @Override
    String path() {
        return "/api/recommendations";
    }

    @Override
    List<String> text(String body) {
        return text(BalancerApi.read(body, PLANS, "a list of plans"), System.currentTimeMillis());
    }

    static List<String> text(List<RecommendationSnapshot> plans, long now) {
        if (plans.isEmpty()) {
            return List.of("no plan is waiting for approval");
        }
        List<String> lines = new ArrayList<>();
        for (RecommendationSnapshot p : plans) {
            lines.add("plan " + p.planId() + " (" + p.trigger() + ", " + p.purpose().name().toLowerCase(Locale.ROOT)
                    + "): " + Figures.count(p.moves().size(), "move") + ", expires in "
                    + Figures.elapsed(p.expiresAt() - now));
            for (RecommendationSnapshot.Move m : p.moves()) {
                lines.add("  " + m.guest() + " " + m.source() + " → " + m.target() + (m.reason().isEmpty() ? ""
                        : ": " + m.reason()));
            }
        }
        lines.add("run one with: vbal approve PLAN [--wait]");
        return lines;
    }
}
