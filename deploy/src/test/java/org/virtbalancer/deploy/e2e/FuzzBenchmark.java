package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8's fuzzing acceptance: at least 100,000 generated inputs across every consumer in one
 * run — four rounds through the topics (host load, domain events, command results, control,
 * inventory, the hosts' command topics), then the HTTP API and the CLI — with no crash, no error or
 * uncaught exception in the log, every rejected record in dead-letter with a reason from each of its
 * consumers, every command answered, the cluster still working and the heap flat from round to
 * round. Run by name (BENCHMARKS.md):
 * {@code mvn -o -B -pl deploy -am verify -Dtest=FuzzBenchmark -Dsurefire.failIfNoSpecifiedTests=false};
 * {@code -Dvb.fuzz.seed=N} and {@code -Dvb.fuzz.rounds=N} change the seed and the number of rounds.
 */
@ExtendWith(Broker.class)
class FuzzBenchmark {
    @Test
    void hundredThousandHostileInputs(EmbeddedKafka broker) throws Exception {
        long seed = Long.getLong("vb.fuzz.seed", 20_261_126L);
        int rounds = Integer.getInteger("vb.fuzz.rounds", 4);
        FuzzCampaign campaign = new FuzzCampaign(seed, rounds, FuzzCampaign.mix(9_000, 5_000, 5_000, 3_000, 1_500, 1_500),
                5_000, 1_000, Duration.ofMinutes(10), true);
        FuzzCampaign.Report report = campaign.run(broker);
        System.out.println(report);
        assertTrue(rounds < 4 || report.total() >= 100_000, report::toString);
        assertTrue(report.clean(), report::toString);
        // Flat: what the later rounds add to the heap stays within noise (the first round warms caches and JIT).
        assertTrue(report.heapAfterMiB() - report.heapAfterFirstMiB() <= 64, report::toString);
    }
}
