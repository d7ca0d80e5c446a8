package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import org.virtbalancer.balancer.service.BalancerQueries;
import picocli.CommandLine.Command;

import java.util.List;
import java.util.Locale;

/** {@code vbal status}: the balancer and the cluster in figures. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show who answers (balancer, role, leader epoch), the automation level, hosts (overloaded, stale,"
                + " in maintenance), guests, migrations, the imbalance and the plans waiting for approval"
                + " (GET /api/status).",
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:shown", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.API_UNREACHABLE_HELP},
        footer = {"%nExamples:", "  vbal status", "  vbal status --json",
                "  vbal status --api http://10.0.0.5:8484 --api-token-file /etc/virt-balancer/api-token"})
final class StatusCommand extends ApiReadCommand {
    private static final TypeReference<Status> STATUS = new TypeReference<>() {};

    /** GET /api/status, as this CLI reads it. */
    record Status(BalancerQueries.Instance balancer, String automation, long takenAt, int hosts, int hostsOverloaded,
                  int hostsStale, int hostsInMaintenance, int guests, int migrationsInFlight, long migrationsIssued,
                  long migrationsSucceeded, long migrationsFailed, double imbalance, int recommendationsPending) {}

    @Override
    String path() {
        return "/api/status";
    }

    @Override
    List<String> text(String body) {
        return text(BalancerApi.read(body, STATUS, "a status"));
    }

    static List<String> text(Status s) {
        BalancerQueries.Instance b = s.balancer();
        return List.of(
                "balancer    " + b.id() + ", " + b.role() + " (leader epoch " + b.epoch() + "); " + b.members(),
                "automation  " + s.automation(),
                "hosts       " + s.hosts() + ": " + s.hostsOverloaded() + " overloaded, " + s.hostsStale() + " stale, "
                        + s.hostsInMaintenance() + " in maintenance",
                "guests      " + s.guests(),
                "migrations  " + s.migrationsInFlight() + " in flight; " + s.migrationsIssued() + " issued, "
                        + s.migrationsSucceeded() + " succeeded, " + s.migrationsFailed() + " failed",
                "imbalance   " + String.format(Locale.ROOT, "%.3f", s.imbalance()),
                "approvals   " + (s.recommendationsPending() == 0 ? "no plan waiting"
                        : Figures.count(s.recommendationsPending(), "plan") + " waiting: vbal recommendations"),
                "as of       " + Figures.dateTime(s.takenAt()));
    }
}
