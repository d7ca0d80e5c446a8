package org.virtbalancer.deploy.staging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Kafka ACLs of a simulated fleet: one agent process, one client certificate, many hosts. The shipped
 * script gives each host's agent its own principal ({@code User:agent-{host}}, which it insists on); here
 * the script prints them and every one of the fleet's hosts' ACLs is given to the fleet's single
 * principal instead, then applied with the same Kafka tool the script's {@code --apply} runs
 * ({@code org.virtbalancer.deploy.acls.AclCommandBatch}, from the installed lib/), with the consumer groups a
 * fleet uses instead of each host's ({@code AgentVerticle}: {@code <prefix>agent-fleet},
 * {@code vb-agent-inventory-fleet-<first host>-…}, {@code vb-agent-fleet-<first host>-results-check}). Only the
 * test needs this: a real host runs its own agent.
 */
final class FleetAcls {
    private FleetAcls() {}

    /**
     * @param installed    the installed package (bin/, lib/)
     * @param hostsFile    the fleet's hosts, one a line
     * @param principal    the fleet's principal, e.g. User:agent-sim-50
     * @param firstHost    the fleet's first host (its named one), which names its consumer groups
     */
    static void apply(Path installed, Path hostsFile, String principal, String firstHost, String bootstrap, Path adminConfig)
            throws Exception {
        List<String> printed = run(List.of(installed.resolve("bin/kafka-acls-virt-balancer").toString(), "--hosts-file",
                hostsFile.toString(), "--bootstrap-server", bootstrap, "--command-config", adminConfig.toString()), null);
        List<String> batch = new ArrayList<>();
        for (String line : printed) {
            if (line.startsWith("kafka-acls.sh ") && line.contains("User:agent-")) {
                String args = line.substring("kafka-acls.sh ".length()).replaceAll("User:agent-[A-Za-z0-9._-]+", principal);
                batch.add(String.join("\t", args.split(" ")));
            }
        }
        if (batch.isEmpty()) {
            throw new IllegalStateException("kafka-acls-virt-balancer printed no agent ACLs: " + printed);
        }
        String base = String.join("\t", List.of("--bootstrap-server", bootstrap, "--command-config", adminConfig.toString()));
        String fleet = "fleet-" + firstHost;
        batch.add(String.join("\t", base, "--add", "--allow-principal", principal, "--operation", "Read", "--operation",
                "Describe", "--group", "vb.agent-fleet", "--group", "vb-agent-" + fleet + "-results-check"));
        batch.add(String.join("\t", base, "--add", "--allow-principal", principal, "--operation", "Read", "--operation",
                "Describe", "--group", "vb-agent-inventory-" + fleet + "-", "--resource-pattern-type", "prefixed"));
        run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp",
                installed.resolve("lib") + "/*", "org.virtbalancer.deploy.acls.AclCommandBatch"), String.join("\n", batch) + "\n");
    }

    private static List<String> run(List<String> command, String input) throws Exception {
        Path out = Files.createTempFile("vb-fleet-acls", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try (var in = p.getOutputStream()) {
            if (input != null) {
                in.write(input.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command + " did not end within 180 s: " + Files.readString(out));
        }
        List<String> lines = Files.readAllLines(out);
        Files.deleteIfExists(out);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(command + " exited " + p.exitValue() + ": " + String.join("\n", lines));
        }
        return lines;
    }
}
