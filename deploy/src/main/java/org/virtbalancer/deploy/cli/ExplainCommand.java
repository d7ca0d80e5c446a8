package org.virtbalancer.deploy.cli;

import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.InvalidMessageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code vbal explain GUEST [--target HOST]}: where a guest can go, and every rule that keeps it elsewhere. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Explain where GUEST can go: a counted summary first (\"0/12 hosts can take web-3: 7 different"
                + " subnet, 3 would exceed memory, 2 in maintenance\"), then every failing rule per host, then what holds"
                + " the guest itself back (cooldown, a migration in flight, failed attempts).",
                "Exit codes: 0 explained; 1 the balancer failed to answer; 2 bad arguments; 5 its API is unreachable;"
                        + " 6 the balancer knows no such guest or host."})
public final class ExplainCommand implements Callable<Integer> {
    @Mixin ApiOptions api;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "GUEST", description = "Guest (domain) name, as the agents report it")
    String guest;

    @Option(names = "--target", paramLabel = "HOST", description = "Only this host's verdict: can it take GUEST, and if not, why")
    String target;

    @Option(names = "--json", description = "Print the API's JSON answer (GET /api/explain/GUEST) instead of text")
    boolean json;

    @Override
    public Integer call() {
        MaintenanceCommand.Output output = new MaintenanceCommand.Output(spec);
        String path;
        BalancerApi client;
        try {
            path = "/api/explain/" + Check.name("GUEST", guest)
                    + (target == null ? "" : "?target=" + Check.name("--target", target));
            client = new BalancerApi(api.base());
        } catch (InvalidMessageException | IllegalArgumentException e) {
            output.error(e.getMessage());
            return BalancerApi.EXIT_USAGE;
        }
        BalancerApi.Reply reply = client.get(path, output);
        return reply.print(json, Explanation.class, "an explanation", ExplainCommand::text, output);
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
