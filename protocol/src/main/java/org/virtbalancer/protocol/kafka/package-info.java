/**
 * How the producer of every process (agents and balancers) rides out an outage of Kafka: one
 * shared, replaceable producer ({@link org.virtbalancer.protocol.kafka.SharedProducer}) whose failed
 * sends are counted and logged once per outage ({@link org.virtbalancer.protocol.kafka.KafkaOutage}).
 * Unlike the rest of this module it needs the Vert.x Kafka client, Micrometer and SLF4J: optional
 * dependencies here, which the agent and the balancer have.
 */
package org.virtbalancer.protocol.kafka;
