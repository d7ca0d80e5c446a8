package org.virtbalancer.deploy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The operator entry point: {@code deploy/bin/vbal}. */
@Command(name = "vbal", mixinStandardHelpOptions = true, version = "virt-balancer 0.1.0",
        description = "virt-balancer: event-driven load balancing and maintenance evacuation for KVM/libvirt clusters.",
        subcommands = {DemoCommand.class, AgentCommand.class, BalancerCommand.class, MaintenanceCommand.class, PlanCommand.class,
                ExplainCommand.class, ReplayCommand.class, TopicsCommand.class,
                StatusCommand.class, HostsCommand.class, GuestsCommand.class, MigrationsCommand.class,
                RecommendationsCommand.class, ApproveCommand.class, AutomationCommand.class, MigrateCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:ok", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.TIMEOUT_HELP, ExitCode.CANCELLED_HELP,
                "5:Kafka or the balancer's API is unreachable", "6:no such host, guest, or plan waiting for approval"},
        footer = {"%nEach command's --help shows its options, examples and the exit codes it uses.",
                "Kafka: --bootstrap or VB_BOOTSTRAP; the API: --api or VB_API (both default to the running demo's)."})
public final class Vbal {
    /** Where the services' config files are: {@code agent.conf}, {@code balancer.conf}. */
    public static final Path CONFIG_DIR = Path.of("/etc/virt-balancer");

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests run it in-process with their own output streams. */
    public static CommandLine commandLine() {
        return commandLine(System.getenv(), CONFIG_DIR);
    }

    /**
     * The configured command line, with {@code agent} and {@code balancer} taking left-out options
     * from {@code env} and from their config files in {@code configDir}.
     */
    public static CommandLine commandLine(Map<String, String> env, Path configDir) {
        CommandLine cl = new CommandLine(new Vbal());
        OneLineErrors.install(cl);
        for (String service : List.of("agent", "balancer")) {
            ConfigDefaults.install(cl.getSubcommands().get(service), configDir.resolve(service + ".conf"), env);
        }
        CommandLine.IParameterExceptionHandler usage = cl.getParameterExceptionHandler();
        cl.setParameterExceptionHandler((e, args) -> {
            // A bad value from a file or the environment: say where it is, without the usage text.
            if (e.getCommandLine().getDefaultValueProvider() instanceof ConfigDefaults config) {
                var explained = config.explain(e);
                if (explained.isPresent()) {
                    e.getCommandLine().getErr().println("error: " + explained.get());
                    return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
                }
            }
            return usage.handleParseException(e, args);
        });
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Users get one sentence, not a stack trace; the log file has the rest.
            org.slf4j.LoggerFactory.getLogger(Vbal.class).warn("command failed", e); // to the log file only
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            if (commandLine.getDefaultValueProvider() instanceof ConfigDefaults config) {
                List<String> origins = config.originsOf(commandLine.getCommandSpec(), message);
                if (!origins.isEmpty()) {
                    message += " (" + String.join("; ", origins) + ")";
                }
            }
            commandLine.getErr().println("error: " + message);
            return 1;
        });
        return cl;
    }
}
