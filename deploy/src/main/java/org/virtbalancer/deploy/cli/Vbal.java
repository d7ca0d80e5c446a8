package org.virtbalancer.deploy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The operator entry point: {@code deploy/bin/vbal}. */
@Command(name = "vbal", mixinStandardHelpOptions = true, version = "virt-balancer 0.1.0",
        description = "virt-balancer: event-driven load balancing and maintenance evacuation for KVM/libvirt clusters.",
        subcommands = {DemoCommand.class, AgentCommand.class, BalancerCommand.class, MaintenanceCommand.class, PlanCommand.class,
                ExplainCommand.class, ReplayCommand.class,
                StatusCommand.class, HostsCommand.class, GuestsCommand.class, MigrationsCommand.class,
                RecommendationsCommand.class, ApproveCommand.class, AutomationCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:ok", ExitCode.FAILED_HELP, ExitCode.USAGE_HELP, ExitCode.TIMEOUT_HELP, ExitCode.CANCELLED_HELP,
                "5:Kafka or the balancer's API is unreachable", "6:no such host, guest, or plan waiting for approval"},
        footer = {"%nEach command's --help shows its options, examples and the exit codes it uses.",
                "Kafka: --bootstrap or VB_BOOTSTRAP; the API: --api or VB_API (both default to the running demo's)."})
public final class Vbal {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests run it in-process with their own output streams. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Vbal());
        OneLineErrors.install(cl);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Users get one sentence, not a stack trace; the log file has the rest.
            org.slf4j.LoggerFactory.getLogger(Vbal.class).warn("command failed", e); // to the log file only
            commandLine.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        return cl;
    }
}
