package org.virtbalancer.deploy.fault;

import org.virtbalancer.deploy.topics.TopicSetup;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The topics of a test on a three-broker cluster, made by the code behind
 * {@code vbal topics create --replication-factor 3 --hosts ...}: every topic replicated 3 times with
 * min.insync.replicas 2, the per-host command topics included.
 */
final class ReplicatedTopics {
    private ReplicatedTopics() {}

    static List<TopicSetup.Outcome> create(KafkaSettings kafka, List<String> hosts) throws InterruptedException {
        Topics.Layout defaults = Topics.Layout.defaults();
        Topics.Layout layout = new Topics.Layout(defaults.partitions(), 3, defaults.loadRetention(), defaults.eventsRetention(),
                defaults.commandRetention(), defaults.decisionsRetention(), defaults.deadLetterRetention());
        List<Topics.Spec> specs = new ArrayList<>(kafka.topics().shared(layout));
        hosts.forEach(h -> specs.add(kafka.topics().commandsSpec(h, layout)));
        try (TopicSetup setup = new TopicSetup(kafka, Duration.ofSeconds(60))) {
            return setup.ensure(specs);
        }
    }
}
