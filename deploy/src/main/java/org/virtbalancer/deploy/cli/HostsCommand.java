package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import org.virtbalancer.balancer.core.GuestSnapshot;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code vbal hosts [HOST]}: every host's load and state, or one host with its guests and drain. */
@Command(name = "hosts", mixinStandardHelpOptions = true,
        description = {"List the hosts the balancer knows (GET /api/hosts): maintenance state, CPU and memory in use"
                + " (percent of capacity), guests (running of all), and flags: overloaded (above its watermark for"
                + " k of n samples), stale (no recent load sample).",
                "With HOST: that host in full, its guests and its maintenance drain (GET /api/hosts/HOST)."},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:shown", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.API_UNREACHABLE_HELP,
                ExitCode.UNKNOWN_HOST_HELP},
        footer = {"%nExamples:", "  vbal hosts", "  vbal hosts host-3", "  vbal hosts --json"})
final class HostsCommand extends ApiReadCommand {
    private static final TypeReference<List<HostSnapshot>> HOSTS = new TypeReference<>() {};
    private static final TypeReference<HostDetail> DETAIL = new TypeReference<>() {};

    /** GET /api/hosts/HOST: the host, its guests, its drain (null when it never was in maintenance). */
    record HostDetail(HostSnapshot host, List<GuestSnapshot> guests, MaintenanceStatus maintenance) {}

    @Parameters(paramLabel = "HOST", arity = "0..1", description = "Show this host in full")
    String host;

    @Override
    String path() {
        return host == null ? "/api/hosts" : "/api/hosts/" + Arguments.name("HOST", host);
    }

    @Override
    List<String> text(String body) {
        return host == null ? list(BalancerApi.read(body, HOSTS, "a host list"))
                : detail(BalancerApi.read(body, DETAIL, "a host"));
    }

    static List<String> list(List<HostSnapshot> hosts) {
        if (hosts.isEmpty()) {
            return List.of("no hosts yet: no agent has sent an inventory to this balancer");
        }
        List<String> lines = new ArrayList<>(table(hosts));
        lines.add(Figures.count(hosts.size(), "host") + ": "
                + hosts.stream().filter(HostSnapshot::overloaded).count() + " overloaded, "
                + hosts.stream().filter(HostSnapshot::stale).count() + " stale, "
                + hosts.stream().filter(h -> h.maintenance() != MaintenanceState.ACTIVE).count() + " in maintenance");
        return lines;
    }

    static List<String> detail(HostDetail d) {
        HostSnapshot h = d.host();
        List<String> lines = new ArrayList<>(table(List.of(h)));
        lines.add(String.format(Locale.ROOT, "%d CPUs, %s for guests; expected CPU %s%%; network %.1f MiB/s (%s%% of"
                        + " its migration link), disk %.1f MiB/s", h.cpus(), Figures.size(h.memoryMiB()),
                Figures.percent(h.expectedCpu()), h.netMiBps(), Figures.percent(h.networkLoad()), h.diskMiBps()));
        if (d.maintenance() != null) {
            lines.addAll(MaintenanceCommand.statusLines(d.maintenance()));
        }
        if (d.guests().isEmpty()) {
            lines.add("no guests");
        } else {
            lines.add("");
            lines.addAll(GuestsCommand.table(d.guests(), false));
        }
        return lines;
    }

    private static List<String> table(List<HostSnapshot> hosts) {
        Table t = new Table("HOST", "STATE", "CPU%>", "MEM%>", "GUESTS>", "RUNNING>", "FLAGS");
        for (HostSnapshot h : hosts) {
            List<String> flags = new ArrayList<>();
            if (h.overloaded()) flags.add("overloaded");
            if (h.stale()) flags.add("stale");
            t.row(h.host(), h.maintenance(), Figures.percent(h.cpuLoad()), Figures.percent(h.memoryLoad()), h.guests(),
                    h.runningGuests(), String.join(",", flags));
        }
        return t.lines();
    }
}
