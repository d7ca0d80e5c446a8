package org.virtbalancer.deploy.cli;

import org.virtbalancer.balancer.replay.Replay;
import org.virtbalancer.balancer.replay.ReplayReport;
import org.virtbalancer.balancer.replay.TraceSet;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code vbal replay}: one policy over one trace day in virtual time, with the figures to compare policies by. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replay a CPU trace day through a balancing policy in virtual time and print overload, imbalance,"
                + " migrations, ping-pong and rule violations.",
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:replayed", ExitCode.FAILED_HELP, "2:bad arguments, or a trace directory that cannot be"
                + " read; the error says which"},
        footer = {"%nExamples:", "  vbal replay --trace /path/to/planetlab/20110303 --mean-cpu 0.7",
                "  vbal replay --trace /path/to/planetlab/20110303 --hosts 40 --policy sandpiper --json"})
public final class ReplayCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--trace", required = true, description = "Directory with one CPU trace file per VM (PlanetLab layout)")
    Path trace;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Size size;

    static final class Size {
        @Option(names = "--hosts", description = "Number of hosts (32 CPUs, 256 GiB each)")
        Integer hosts;

        @Option(names = "--mean-cpu", description = "Size the cluster so the day's mean host CPU is this share, e.g. 0.7")
        Double meanCpu;
    }

    @Option(names = "--policy", description = "vb, none, proxlb, sandpiper or pve-crs (default: ${DEFAULT-VALUE})")
    String policy = "vb";

    @Option(names = "--seed", description = "Seed for guest sizes, dirty rates and placement (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--json", description = "Print one JSON object instead of a table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!Replay.POLICIES.contains(policy)) {
            throw CommandFailure.usage("unknown policy '" + policy + "'; choose one of "
                    + String.join(", ", Replay.POLICIES) + ".");
        }
        Replay.Sizing sizing;
        TraceSet traces;
        try {
            sizing = size.hosts != null ? Replay.Sizing.hosts(size.hosts) : Replay.Sizing.meanCpu(size.meanCpu);
            traces = TraceSet.read(trace);
        } catch (IllegalArgumentException e) {
            // Sizes and the trace directory are arguments: a missing folder or a bad file in it is the caller's to fix.
            throw CommandFailure.usage(e.getMessage());
        }
        ReplayReport report = Replay.run(traces, sizing, policy, seed);
        spec.commandLine().getOut().print(json ? report.toJson() + System.lineSeparator() : report.toText());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
