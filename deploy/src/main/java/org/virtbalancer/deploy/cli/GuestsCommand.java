package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import org.virtbalancer.balancer.core.GuestSnapshot;
import org.virtbalancer.protocol.GuestState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code vbal guests [--host HOST]}: every guest the balancer knows, where it is and what it uses. */
@Command(name = "guests", mixinStandardHelpOptions = true,
        description = "List the guests the balancer knows (GET /api/guests): host, state, vCPUs, memory, the CPU cores"
                + " used in the last sample and expected over the next minutes, and whether it is pinned or migrating.",
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:shown", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.API_UNREACHABLE_HELP,
                ExitCode.UNKNOWN_HOST_HELP},
        footer = {"%nExamples:", "  vbal guests", "  vbal guests --host host-3", "  vbal guests --json"})
final class GuestsCommand extends ApiReadCommand {
    private static final TypeReference<List<GuestSnapshot>> GUESTS = new TypeReference<>() {};

    @Option(names = "--host", paramLabel = "HOST", description = "Only the guests on this host")
    String host;

    @Override
    String path() {
        return host == null ? "/api/guests" : "/api/guests?host=" + Arguments.name("--host", host);
    }

    @Override
    List<String> text(String body) {
        List<GuestSnapshot> guests = BalancerApi.read(body, GUESTS, "a guest list");
        if (guests.isEmpty()) {
            return List.of(host == null ? "no guests: no agent has reported one yet" : "no guests on " + host);
        }
        List<String> lines = new ArrayList<>(table(guests, host == null));
        long running = guests.stream().filter(g -> g.state() == GuestState.RUNNING).count();
        long migrating = guests.stream().filter(GuestSnapshot::migrating).count();
        lines.add(Figures.count(guests.size(), "guest") + ": " + running + " running, " + migrating + " migrating");
        return lines;
    }

    /** One row per guest; the HOST column only when they may be on several hosts. */
    static List<String> table(List<GuestSnapshot> guests, boolean withHost) {
        Table t = withHost ? new Table("GUEST", "HOST", "STATE", "VCPUS>", "MEMORY>", "CPU>", "EXPECTED>", "FLAGS")
                : new Table("GUEST", "STATE", "VCPUS>", "MEMORY>", "CPU>", "EXPECTED>", "FLAGS");
        for (GuestSnapshot g : guests) {
            List<Object> cells = new ArrayList<>(List.of(g.guest(), g.host(), g.state(), g.vcpus(),
                    Figures.size(g.memoryMiB()), cores(g.cpuCores()), cores(g.expectedCores()), flags(g)));
            if (!withHost) {
                cells.remove(1);
            }
            t.row(cells.toArray());
        }
        return t.lines();
    }

    private static String cores(double cores) {
        return String.format(Locale.ROOT, "%.2f", cores);
    }

    private static String flags(GuestSnapshot g) {
        List<String> flags = new ArrayList<>();
        if (g.pinned()) flags.add("pinned");
        if (g.migrating()) flags.add("migrating");
        return String.join(",", flags);
    }
}
