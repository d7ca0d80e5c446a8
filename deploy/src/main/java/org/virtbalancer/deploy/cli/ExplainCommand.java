package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import org.virtbalancer.balancer.plan.Explanation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** {@code vbal explain GUEST [--target HOST]}: where a guest can go, and every rule that keeps it elsewhere. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Explain where GUEST can go: a counted summary first (\"0/12 hosts can take web-3: 7 different"
                + " subnet, 3 would exceed memory, 2 in maintenance\"), then every failing rule per host, then what holds"
                + " the guest itself back (cooldown, a migration in flight, failed attempts)"
                + " (GET /api/explain/GUEST[?target=HOST])."},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:explained", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.API_UNREACHABLE_HELP,
                "6:the balancer knows no such guest or host"},
        footer = {"%nExamples:", "  vbal explain web-3", "  vbal explain web-3 --target host-6",
                "  vbal explain web-3 --json"})
public final class ExplainCommand extends ApiReadCommand {
    private static final TypeReference<Explanation> EXPLANATION = new TypeReference<>() {};

    @Parameters(paramLabel = "GUEST", description = "Guest (domain) name, as the agents report it")
    String guest;

    @Option(names = "--target", paramLabel = "HOST", description = "Only this host's verdict: can it take GUEST, and if not, why")
    String target;

    @Override
    String path() {
        return "/api/explain/" + Arguments.name("GUEST", guest)
                + (target == null ? "" : "?target=" + Arguments.name("--target", target));
    }

    @Override
    List<String> text(String body) {
        return text(BalancerApi.read(body, EXPLANATION, "an explanation"));
    }

    /** The summary line, then each host with every rule that fails there, then the guest's own notes. */
    static List<String> text(Explanation e) {
        List<String> lines = new ArrayList<>();
        lines.add(e.summary());
        lines.add(e.guest() + " is on " + e.host() + ".");
        for (Explanation.HostVerdict v : e.hosts()) {
            if (v.eligible()) {
                lines.add("  " + v.host() + ": can take it");
            } else {
                lines.add("  " + v.host() + ": " + v.failures().size() + (v.failures().size() == 1 ? " rule fails" : " rules fail"));
                for (Explanation.RuleFailure f : v.failures()) {
                    lines.add("      " + f.summary() + " (" + f.rule() + "): " + f.reason());
                }
            }
            for (String w : v.warnings()) {
                lines.add("      note: " + w);
            }
        }
        if (!e.notes().isEmpty()) {
            lines.add("held back:");
            e.notes().forEach(n -> lines.add("  " + n));
        }
        return lines;
    }
}
