package org.virtbalancer.balancer.service;

import org.apache.kafka.common.serialization.Deserializer;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Decoded;

/**
 * A record's value as read, with its decoding. The balancer's consumer decodes on its own thread
 * while polling ({@link Reader}), so the event loop, which runs the decision core, does not
 * parse JSON (at 2,000 hosts, 15% of the event loop's samples in a JFR profile were decoding).
 *
 * @param bytes   the value as it was on the topic, for the dead-letter topic
 * @param decoded the envelope, or the reason it was rejected
 */
record Received(byte[] bytes, Decoded decoded) {
    /** The consumer's value deserializer; never throws, so a bad record cannot stop the consumer. */
    public static final class Reader implements Deserializer<Received> {
        private final Codec codec = new Codec();

        @Override
        public Received deserialize(String topic, byte[] data) {
            return new Received(data, codec.decode(data));
        }
    }
}
