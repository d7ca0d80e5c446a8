package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small fuzzing campaign in the suite (a few thousand inputs), so a regression in how any
 * consumer takes hostile input is caught on every run; {@link FuzzBenchmark} is the big one.
 */
@ExtendWith(Broker.class)
class FuzzTest {
    @Test
    void hostileInputOnEveryConsumerIsRejectedWithAReasonAndNothingBreaks(EmbeddedKafka broker) throws Exception {
        FuzzCampaign campaign = new FuzzCampaign(8_2026L, 1, FuzzCampaign.mix(800, 400, 400, 300, 150, 150), 300, 60,
                Duration.ofSeconds(60));
        FuzzCampaign.Report report = campaign.run(broker);
        System.out.println(report);
        assertTrue(report.total() >= 2_000, report::toString);
        assertTrue(report.clean(), report::toString);
    }
}
