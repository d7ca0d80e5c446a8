package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.SetAutomation;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** {@code vbal automation get|set}: how much the balancer does on its own, as DRS's automation levels. */
@Command(name = "automation", mixinStandardHelpOptions = true,
        description = "Show or set the automation level: manual (every plan waits for vbal approve), partial"
                + " (maintenance drains run, balancing plans wait for approval) or full (everything runs).",
        subcommands = {AutomationCommand.Get.class, AutomationCommand.Set.class})
final class AutomationCommand {
    private static final TypeReference<Level> LEVEL = new TypeReference<>() {};

    /** GET /api/automation. */
    record Level(String level) {}

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Show the automation level in force, and what it means (GET /api/automation).",
            exitCodeListHeading = ExitCode.HEADING,
            exitCodeList = {"0:shown", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.API_UNREACHABLE_HELP},
            footer = {"%nExamples:", "  vbal automation get", "  vbal automation get --json"})
    static final class Get extends ApiReadCommand {
        @Override
        String path() {
            return "/api/automation";
        }

        @Override
        List<String> text(String body) {
            String level = BalancerApi.read(body, LEVEL, "an automation level").level();
            return List.of(level + ": " + meaning(level));
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Set the cluster's automation level (SetAutomation on the control topic).",
                    "With --wait, return once the balancer's API reports the new level."},
            exitCodeListHeading = ExitCode.HEADING,
            exitCodeList = {"0:sent (with --wait: the balancer reports the new level)", ExitCode.FAILED_HELP,
                    ExitCode.USAGE_HELP, ExitCode.TIMEOUT_HELP, "5:Kafka, or with --wait the balancer's API, is"
                    + " unreachable", ExitCode.UNCONFIRMED_HELP},
            footer = {"%nExamples:", "  vbal automation set manual --wait",
                    "  vbal automation set full --bootstrap kafka-1:9092 --wait --api http://10.0.0.5:8484"})
    static final class Set implements Callable<Integer> {
        @Mixin ConnectionOptions connection;
        @Mixin SigningOptions signing;
        @Mixin ApiOptions api;
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "LEVEL", converter = LevelConverter.class, description = "manual, partial or full")
        AutomationLevel level;

        @Option(names = "--wait", description = "Return when the balancer's API reports the new level")
        boolean await;

        @Option(names = "--timeout", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "With --wait: give up after this long (default: 1m)")
        Duration timeout = Duration.ofMinutes(1);

        @Override
        public Integer call() throws InterruptedException {
            Output output = new Output(spec);
            // A bad --api is a usage error before anything is sent.
            BalancerApi balancer = await ? api.client() : null;
            String wanted = level.name().toLowerCase(Locale.ROOT);
            try (KafkaLink kafka = KafkaLink.open(connection, signing)) {
                Envelope env = kafka.send(new SetAutomation(level));
                output.line("sent SetAutomation " + wanted + " (message " + env.id() + ")");
            }
            if (balancer == null) {
                return ExitCode.OK;
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            String now;
            do {
                now = BalancerApi.read(balancer.get("/api/automation"), LEVEL, "an automation level").level();
                if (now.equals(wanted)) {
                    output.line("automation is " + wanted + ": " + meaning(wanted));
                    return ExitCode.OK;
                }
                TimeUnit.MILLISECONDS.sleep(250);
            } while (System.nanoTime() < deadline);
            throw new CommandFailure(ExitCode.TIMEOUT, "gave up after " + Figures.elapsed(timeout.toMillis())
                    + ": the balancer still reports automation " + now + "; check that it reads the control topic"
                    + " of this --prefix (vbal status shows its role)");
        }
    }

    static String meaning(String level) {
        return switch (level) {
            case "manual" -> "every plan is recommended and waits for vbal approve";
            case "partial" -> "maintenance drains run; balancing plans wait for vbal approve";
            case "full" -> "every plan runs at once";
            default -> "a level this vbal does not know";
        };
    }

    /** manual, partial or full, in any case. */
    static final class LevelConverter implements ITypeConverter<AutomationLevel> {
        @Override
        public AutomationLevel convert(String value) {
            try {
                return AutomationLevel.valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not an automation level; choose one of "
                        + Arrays.stream(AutomationLevel.values()).map(l -> l.name().toLowerCase(Locale.ROOT))
                        .collect(Collectors.joining(", ")));
            }
        }
    }
}
