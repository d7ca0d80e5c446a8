package org.virtbalancer.balancer.service;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

/** Creates missing topics. Blocking: call from a worker thread only. */
final class TopicAdmin implements AutoCloseable {
    private final Admin admin;

    TopicAdmin(KafkaSettings kafka, String clientId) {
        this.admin = Admin.create(new HashMap<>(kafka.admin(clientId)));
    }

    void ensure(Collection<Topics.Spec> specs) throws InterruptedException {
        List<NewTopic> topics = new ArrayList<>();
        for (Topics.Spec spec : specs) {
            topics.add(new NewTopic(spec.name(), Optional.of(spec.partitions()), spec.replicationFactor() < 0
                    ? Optional.<Short>empty() : Optional.of((short) spec.replicationFactor())).configs(spec.configs()));
        }
        var result = admin.createTopics(topics);
        for (var entry : result.values().entrySet()) {
            try {
                entry.getValue().get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AuthenticationException) {
                    throw new IllegalStateException("Kafka refused the balancer's credentials (" + e.getCause().getMessage()
                            + "): check the TLS and SASL settings of its kafka-config file (ssl.keystore.*,"
                            + " ssl.truststore.*, sasl.jaas.config)", e.getCause());
                }
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + entry.getKey() + ": " + e.getCause().getMessage()
                            + "; create it by hand (vbal topics create) or give the balancer its ACLs"
                            + " (deploy/bin/kafka-acls-virt-balancer)", e.getCause());
                }
            }
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
