package org.virtbalancer.deploy.cli;

import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.Message;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code vbal maintenance enter|exit|status HOST}: one control message, then (optionally) follow the drain. */
@Command(name = "maintenance", description = "Put a host into maintenance, return it to service, or show where it stands.",
        mixinStandardHelpOptions = true,
        subcommands = {MaintenanceCommand.Enter.class, MaintenanceCommand.Exit.class, MaintenanceCommand.Status.class})
public final class MaintenanceCommand {
    private static final String SENT_HELP = "0:sent (with --wait: the host reached the state)";

    @Command(name = "enter", mixinStandardHelpOptions = true,
            description = {"Stop placing guests on HOST and move every guest off it (EnterMaintenance on the control"
                    + " topic).",
                    "With --wait, follow the drain: a progress bar that redraws in place on a terminal (one line per"
                            + " change otherwise), each blocked guest with its reason, until the host is IN_MAINTENANCE."},
            exitCodeListHeading = ExitCode.HEADING,
            exitCodeList = {SENT_HELP, ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.TIMEOUT_HELP,
                    "4:the host was returned to service before the drain finished", ExitCode.KAFKA_UNREACHABLE_HELP,
                    ExitCode.UNCONFIRMED_HELP},
            footer = {"%nExamples:", "  vbal maintenance enter host-3 --reason \"kernel update\" --wait",
                    "  vbal maintenance enter host-3 --wait --timeout 2h && ssh host-3 reboot"})
    static final class Enter implements Callable<Integer> {
        @Mixin ConnectionOptions connection;
        @Mixin SigningOptions signing;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "HOST", description = "Host id, as the agents report it") String host;
        @Option(names = "--reason", description = "Why, for the audit trail") String reason = "";
        @Option(names = "--wait", description = "Follow the drain and return when the host is IN_MAINTENANCE") boolean await;
        @Option(names = "--timeout", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "With --wait: give up after this long (default: 30m)")
        Duration timeout = Duration.ofMinutes(30);

        @Override
        public Integer call() {
            String h = Arguments.name("HOST", host);
            return send(connection, signing, new EnterMaintenance(h, reason), h, await, timeout, new Output(spec));
        }
    }

    @Command(name = "exit", mixinStandardHelpOptions = true,
            description = "Return HOST to service (ExitMaintenance). Moves already in flight finish; no new ones start.",
            exitCodeListHeading = ExitCode.HEADING,
            exitCodeList = {SENT_HELP, ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.TIMEOUT_HELP,
                    ExitCode.KAFKA_UNREACHABLE_HELP, ExitCode.UNCONFIRMED_HELP},
            footer = {"%nExamples:", "  vbal maintenance exit host-3", "  vbal maintenance exit host-3 --wait"})
    static final class Exit implements Callable<Integer> {
        @Mixin ConnectionOptions connection;
        @Mixin SigningOptions signing;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "HOST", description = "Host id, as the agents report it") String host;
        @Option(names = "--wait", description = "Return when the balancer reports the host ACTIVE") boolean await;
        @Option(names = "--timeout", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "With --wait: give up after this long (default: 2m)")
        Duration timeout = Duration.ofMinutes(2);

        @Override
        public Integer call() {
            String h = Arguments.name("HOST", host);
            return send(connection, signing, new ExitMaintenance(h), h, await, timeout, new Output(spec));
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Show the last maintenance status the balancer published for HOST on the decisions topic:"
                    + " state, guests moved of all, migrating and blocked guests with reasons.",
                    "--json prints it as one JSON object, as GET /api/maintenance/HOST does; a host never in"
                            + " maintenance is {\"host\": HOST, \"state\": \"ACTIVE\"}."},
            exitCodeListHeading = ExitCode.HEADING,
            exitCodeList = {"0:shown", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.KAFKA_UNREACHABLE_HELP},
            footer = {"%nExamples:", "  vbal maintenance status host-3", "  vbal maintenance status host-3 --json"})
    static final class Status implements Callable<Integer> {
        @Mixin ConnectionOptions connection;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "HOST", description = "Host id, as the agents report it") String host;
        @Option(names = "--json", description = "Print one JSON object instead of text") boolean json;

        @Override
        public Integer call() {
            String h = Arguments.name("HOST", host);
            Output output = new Output(spec);
            Optional<MaintenanceStatus> last;
            try (KafkaLink kafka = KafkaLink.open(connection)) {
                kafka.readFrom(0, kafka.topics().decisions());
                List<MaintenanceStatus> statuses = new ArrayList<>();
                kafka.readToEnd(env -> statusOf(env, h).ifPresent(statuses::add));
                last = statuses.isEmpty() ? Optional.empty() : Optional.of(statuses.get(statuses.size() - 1));
            }
            if (json) {
                Map<String, Object> never = new LinkedHashMap<>();
                never.put("host", h);
                never.put("state", MaintenanceState.ACTIVE);
                output.json(last.<Object>map(s -> s).orElse(never));
            } else {
                output.lines(last.map(MaintenanceCommand::statusLines)
                        .orElse(List.of(h + ": ACTIVE (the balancer has published no maintenance status for it)")));
            }
            return ExitCode.OK;
        }
    }

    private static int send(ConnectionOptions connection, SigningOptions signing, Message control, String host, boolean await,
                            Duration timeout, Output output) {
        try (KafkaLink kafka = KafkaLink.open(connection, signing)) {
            if (await) {
                // Read from before the request, so no status published in answer to it is missed.
                kafka.readNew(kafka.topics().decisions());
            }
            Envelope env = kafka.send(control);
            output.line("sent " + env.type().wireName() + " for " + host + " (message " + env.id() + ")");
            if (!await) {
                return ExitCode.OK;
            }
            MaintenanceState goal = control instanceof EnterMaintenance ? MaintenanceState.IN_MAINTENANCE
                    : MaintenanceState.ACTIVE;
            ProgressView progress = output.progress();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (Envelope e : kafka.poll(Duration.ofMillis(500))) {
                    Optional<MaintenanceStatus> s = statusOf(e, host);
                    if (s.isEmpty()) continue;
                    progress.show(statusLines(s.get()));
                    if (s.get().state() == goal) {
                        return ExitCode.OK;
                    }
                    if (goal == MaintenanceState.IN_MAINTENANCE && s.get().state() == MaintenanceState.ACTIVE) {
                        throw new CommandFailure(ExitCode.CANCELLED, host
                                + " was returned to service before the drain finished");
                    }
                }
            }
            throw new CommandFailure(ExitCode.TIMEOUT, "gave up after " + Figures.elapsed(timeout.toMillis()) + ": "
                    + host + " is not " + goal + " yet; the drain goes on — check with: vbal maintenance status " + host);
        }
    }

    private static Optional<MaintenanceStatus> statusOf(Envelope env, String host) {
        return env.body() instanceof MaintenanceStatus s && s.host().equals(host) ? Optional.of(s) : Optional.empty();
    }

    /** "host-3  ENTERING  [#####.....] 2/4 moved, migrating: web-1", then each blocked guest and the message. */
    static List<String> statusLines(MaintenanceStatus s) {
        int done = s.total() - s.remaining();
        StringBuilder first = new StringBuilder(String.format("%-16s %-15s %s %d/%d moved", s.host(), s.state(),
                Figures.bar(done, s.total(), 30), done, s.total()));
        if (!s.migrating().isEmpty()) {
            first.append(", migrating: ").append(String.join(" ", s.migrating()));
        }
        List<String> lines = new ArrayList<>();
        lines.add(first.toString());
        s.blocked().forEach(b -> lines.add("    blocked " + b.guest() + ": " + b.reason()));
        if (!s.message().isEmpty()) {
            lines.add("    " + s.message());
        }
        return lines;
    }
}
