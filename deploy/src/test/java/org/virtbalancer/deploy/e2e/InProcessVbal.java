package org.virtbalancer.deploy.e2e;

import org.virtbalancer.deploy.cli.Vbal;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code vbal ARGS…} in this JVM with its own captured output, pointed at a test cluster: the
 * Kafka and API options are added to each command that takes them, unless the arguments name
 * their own.
 *
 * @param bootstrap Kafka's address, or null to add none
 * @param prefix    the topic prefix that goes with it
 * @param api       the balancer API's address, or null to add none
 * @param tokenFile a file holding the API's token, or null to add none
 */
record InProcessVbal(String bootstrap, String prefix, String api, Path tokenFile) {
    /** One invocation: exit code, what it printed, and how long it took. */
    record Run(int exit, String out, String err, long millis) {
        /** Both streams, for assertion messages. */
        String all() {
            return "exit " + exit + "\n--- out:\n" + out + "--- err:\n" + err;
        }
    }

    /** The fixture's broker and topic prefix, and its API when it has one. */
    static InProcessVbal against(ClusterFixture fx) {
        return new InProcessVbal(fx.kafka.bootstrapServers(), fx.topics.prefix(),
                fx.cluster.balancer().apiUrl().orElse(null), null);
    }

    InProcessVbal withTokenFile(Path file) {
        return new InProcessVbal(bootstrap, prefix, api, file);
    }

    Run run(String... args) {
        CommandLine cl = Vbal.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        CommandLine target = cl;
        for (String arg : args) {
            CommandLine sub = target.getSubcommands().get(arg);
            if (sub == null) break;
            target = sub;
        }
        CommandLine.Model.CommandSpec spec = target.getCommandSpec();
        if (bootstrap != null && spec.findOption("--bootstrap") != null && !all.contains("--bootstrap")) {
            all.addAll(List.of("--bootstrap", bootstrap, "--prefix", prefix));
        }
        if (api != null && spec.findOption("--api") != null && !all.contains("--api")) {
            all.addAll(List.of("--api", api));
        }
        if (tokenFile != null && spec.findOption("--api-token-file") != null && !all.contains("--api-token-file")) {
            all.addAll(List.of("--api-token-file", tokenFile.toString()));
        }
        long started = System.nanoTime();
        int exit = cl.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString(), (System.nanoTime() - started) / 1_000_000);
    }
}
