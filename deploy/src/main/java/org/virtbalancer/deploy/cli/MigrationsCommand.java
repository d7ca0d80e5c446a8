package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import org.virtbalancer.balancer.core.FinishedMigration;
import org.virtbalancer.balancer.core.MigrationSnapshot;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.ResultStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code vbal migrations [--recent]}: what is moving now, with progress, or what moved lately. */
@Command(name = "migrations", mixinStandardHelpOptions = true,
        description = {"List the migrations in flight: guest, from, to, kind, progress, how long it has run and why it"
                + " was issued (GET /api/migrations).",
                "With --recent: the latest that ended, with purpose, result, how long it took, when it ended, and"
                        + " why it failed or why it was issued. --json prints the whole answer, both lists."},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:shown", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.API_UNREACHABLE_HELP},
        footer = {"%nExamples:", "  vbal migrations", "  vbal migrations --recent",
                "  watch -n 2 deploy/bin/vbal migrations"})
final class MigrationsCommand extends ApiReadCommand {
    private static final TypeReference<Migrations> MIGRATIONS = new TypeReference<>() {};

    /** GET /api/migrations. */
    record Migrations(List<MigrationSnapshot> inFlight, List<FinishedMigration> recent) {}

    @Option(names = "--recent", description = "The latest migrations that ended, instead of those in flight")
    boolean recent;

    @Override
    String path() {
        return "/api/migrations";
    }

    @Override
    List<String> text(String body) {
        Migrations m = BalancerApi.read(body, MIGRATIONS, "a migration list");
        long now = System.currentTimeMillis();
        return recent ? recent(m.recent()) : inFlight(m.inFlight(), now);
    }

    static List<String> inFlight(List<MigrationSnapshot> migrations, long now) {
        if (migrations.isEmpty()) {
            return List.of("no migrations in flight (vbal migrations --recent lists the latest that ended)");
        }
        Table t = new Table("GUEST", "FROM", "TO", "MODE", "PROGRESS", "RUNNING>", "REASON");
        for (MigrationSnapshot m : migrations) {
            t.row(m.guest(), m.source(), m.target(), mode(m.mode()),
                    Figures.bar(m.percent(), 100, 10) + String.format(Locale.ROOT, " %3d%%", m.percent()),
                    Figures.elapsed(now - m.startedAt()), m.reason());
        }
        List<String> lines = new ArrayList<>(t.lines());
        lines.add(Figures.count(migrations.size(), "migration") + " in flight");
        return lines;
    }

    static List<String> recent(List<FinishedMigration> migrations) {
        if (migrations.isEmpty()) {
            return List.of("no migration has ended yet");
        }
        Table t = new Table("GUEST", "FROM", "TO", "MODE", "PURPOSE", "RESULT", "TOOK>", "ENDED", "DETAIL");
        for (FinishedMigration m : migrations) {
            t.row(m.guest(), m.source(), m.target(), mode(m.mode()), m.purpose().name().toLowerCase(Locale.ROOT),
                    m.status(), Figures.elapsed(m.finishedAt() - m.startedAt()), Figures.clock(m.finishedAt()),
                    m.status() == ResultStatus.SUCCEEDED || m.outcome().isEmpty() ? m.reason() : m.outcome());
        }
        List<String> lines = new ArrayList<>(t.lines());
        long ok = migrations.stream().filter(m -> m.status() == ResultStatus.SUCCEEDED).count();
        lines.add(Figures.count(migrations.size(), "migration") + " ended: " + ok + " succeeded, "
                + (migrations.size() - ok) + " failed or rejected");
        return lines;
    }

    static String mode(MigrationMode mode) {
        return mode.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
