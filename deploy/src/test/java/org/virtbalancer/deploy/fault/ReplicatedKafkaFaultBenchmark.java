package org.virtbalancer.deploy.fault;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every kind of broker fault during a maintenance drain of a 30-guest host (with another host
 * overloaded) on a replicated three-broker KRaft cluster, each on a fresh {@link ReplicatedFleet}:
 * the drained host's command-partition leader SIGKILLed, the active controller SIGKILLed, and a
 * rolling restart of all three brokers one at a time (SIGTERM, start, ready, next). Prints a table:
 * per fault, the time from each broker's going to the next command to the drained host (and, to compare,
 * the median gap between two of its commands over the whole drain), samples
 * delayed (read more than one interval after their stamp) and lost, duplicate executions, envelopes
 * written twice. Measures, does not assert. Run:
 * <pre>mvn -o -B -pl deploy -am verify -Dtest=ReplicatedKafkaFaultBenchmark -Dsurefire.failIfNoSpecifiedTests=false</pre>
 * {@code -Dbench.faults=PARTITION_LEADER_KILL,...} picks faults; {@code -Dbench.speedup=N} the simulated
 * migrations' speed-up (default 1, so that the drain outlasts a rolling restart of about 80 s). Writes
 * {@code deploy/target/replicated-kafka-fault-benchmark.txt}.
 */
class ReplicatedKafkaFaultBenchmark {
    private static final Duration NEXT_COMMAND_WAIT = Duration.ofSeconds(120);

    @Test
    void everyBrokerFaultDuringADrain() throws Exception {
        List<ReplicatedFleet.Fault> faults = Arrays.stream(System.getProperty("bench.faults",
                "PARTITION_LEADER_KILL,ACTIVE_CONTROLLER_KILL,ROLLING_RESTART").split(","))
                .map(String::trim).map(ReplicatedFleet.Fault::valueOf).toList();
        double speedup = Double.parseDouble(System.getProperty("bench.speedup", "1"));
        List<String> rows = new ArrayList<>();
        List<String> details = new ArrayList<>();
        for (ReplicatedFleet.Fault fault : faults) {
            try (ReplicatedFleet fleet = new ReplicatedFleet("replicated-kafka-fault-benchmark", speedup)) {
                long asked = fleet.drain();
                ReplicatedFleet.Injected injected = fleet.fault(fault);
                long lastGone = injected.steps().get(injected.steps().size() - 1).goneAt();
                fleet.within(NEXT_COMMAND_WAIT, () -> fleet.nextDrainCommandSeenAfter(lastGone).isPresent()
                        || fleet.guestsOn(ReplicatedFleet.DRAINED).isEmpty(), "a command after the fault, or the drain's end");
                boolean restarted = !fleet.fleet.isAlive() || !fleet.balancer.isAlive();
                List<TopicTap.Seen> all = fleet.finish();
                FaultVerdict verdict = FaultVerdict.of(fleet, injected, all, fleet.tap.all());
                rows.add(verdict.row());
                details.add(verdict + "; nodes " + injected.steps().stream().map(s -> String.valueOf(s.node())).toList()
                        + "; fault began " + (injected.startedAt() - asked) + " ms after the maintenance was asked, lasted "
                        + (injected.endedAt() - injected.startedAt()) + " ms" + (restarted ? "; A PROCESS DIED" : "")
                        + "; logs " + fleet.run);
                System.out.println(details.get(details.size() - 1));
            }
        }
        String table = "Broker faults during a drain of a 30-guest host, 3-broker KRaft cluster, RF 3, min.insync.replicas 2,"
                + " migration speed-up " + speedup + "\n" + FaultVerdict.header() + "\n" + String.join("\n", rows) + "\n\n"
                + String.join("\n", details) + "\n";
        System.out.print(table);
        Files.writeString(Path.of("target", "replicated-kafka-fault-benchmark.txt"), table);
    }
}
