package org.virtbalancer.deploy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The operator entry point: {@code deploy/bin/vbal}. */
@Command(name = "vbal", mixinStandardHelpOptions = true, version = "virt-balancer 0.1.0",
        description = "virt-balancer: event-driven load balancing and maintenance evacuation for KVM/libvirt clusters.",
        subcommands = {DemoCommand.class, AgentCommand.class, BalancerCommand.class, MaintenanceCommand.class, PlanCommand.class,
                ExplainCommand.class, ReplayCommand.class,
                CommandLine.HelpCommand.class})
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
