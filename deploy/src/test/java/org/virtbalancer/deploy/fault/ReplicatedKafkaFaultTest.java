package org.virtbalancer.deploy.fault;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker leading the drained host's command partition ({@code <prefix>commands.<host>}) SIGKILLed
 * in the middle of a maintenance drain of a 30-guest host, while another host is overloaded and being
 * relieved, on a replicated three-broker KRaft cluster ({@link ReplicatedFleet}): the balancer's next
 * command comes without any process restarted, the drain completes, every guest is on exactly one
 * host, every command is executed exactly once (by id) and no load sample is lost (one per interval
 * per host; a late one counts, a missing one fails). Logs and a report stay in
 * {@code deploy/target/replicated-kafka-fault/run-*}.
 */
class ReplicatedKafkaFaultTest {
    /** A generous bound for a correctness guard, not a timing: the figures are ReplicatedKafkaFaultBenchmark's. */
    private static final Duration NEXT_COMMAND_LIMIT = Duration.ofSeconds(90);

    @Test
    void killingTheLeaderOfTheDrainedHostsCommandPartitionLosesNothingAndTheDrainCompletesOnce() throws Exception {
        try (ReplicatedFleet fleet = new ReplicatedFleet("replicated-kafka-fault", 10)) {
            long asked = fleet.drain();
            int leader = fleet.cluster.leaderOf(fleet.topics.commands(ReplicatedFleet.DRAINED), 0);
            ReplicatedFleet.Injected injected = fleet.fault(ReplicatedFleet.Fault.PARTITION_LEADER_KILL);
            assertEquals(leader, injected.steps().get(0).node());
            long killedAt = injected.startedAt();
            fleet.within(NEXT_COMMAND_LIMIT, () -> fleet.nextDrainCommandSeenAfter(killedAt).isPresent(),
                    "a command to the drained host after the kill");
            int newLeader = fleet.cluster.leaderOf(fleet.topics.commands(ReplicatedFleet.DRAINED), 0);
            assertTrue(newLeader != leader && newLeader != -1, "the partition has a new leader, not " + newLeader);

            assertTrue(fleet.fleet.isAlive() && fleet.balancer.isAlive(), "no process restarted\n" + fleet.diagnosis());
            List<TopicTap.Seen> all = fleet.finish();
            List<TopicTap.Seen> live = fleet.tap.all();
            FaultVerdict verdict = FaultVerdict.of(fleet, injected, all, live);
            String report = "killed node " + leader + " (leader of " + fleet.topics.commands(ReplicatedFleet.DRAINED)
                    + "), drain asked " + (killedAt - asked) + " ms before; " + verdict + "\n";
            System.out.print(report);
            Files.writeString(fleet.run.resolve("report.txt"), report);
            String context = report + fleet.diagnosis();

            assertTrue(verdict.nextCommandMs().get(0) >= 0, "the drain went on after the kill with a new command\n" + context);
            assertEquals(Set.of(), verdict.drainedGuestsLeft(), "the drain completed\n" + context);
            assertEquals(Map.of(), verdict.misplacedGuests(), "every guest on exactly one host\n" + context);
            assertEquals(List.of(), verdict.executedTwice(), "no command executed twice\n" + context);
            assertEquals(List.of(), verdict.withoutFinalResult(), "every command executed, with its final result\n" + context);
            assertEquals(List.of(), verdict.writtenTwice(), "no message written twice\n" + context);
            assertEquals(0, verdict.samplesLost(), "no load sample lost\n" + context);
        }
    }
}
