package org.virtbalancer.protocol;

/**
 * Rejected input, with the reason, written to the {@code dead-letter} topic.
 *
 * @param topic     where it was read
 * @param partition partition
 * @param offset    offset
 * @param key       the record key, empty when none
 * @param reason    what is wrong with it, naming the field
 * @param payload   the first bytes of the payload (UTF-8, at most {@link #MAX_PAYLOAD} characters)
 * @param rejectedBy which process rejected it
 */
public record DeadLetter(String topic, int partition, long offset, String key, String reason, String payload,
                         String rejectedBy) implements Message {
    public static final int MAX_PAYLOAD = 2048;

    public DeadLetter {
        Check.text("topic", topic);
        Check.nonNegative("partition", partition);
        Check.nonNegative("offset", offset);
        key = Check.optionalText("key", key == null ? null : abbreviate(key));
        Check.text("reason", reason);
        payload = payload == null ? "" : abbreviate(payload);
        rejectedBy = Check.optionalText("rejectedBy", rejectedBy);
    }

    /** A dead letter for a raw record: the payload is read as UTF-8 and cut to {@link #MAX_PAYLOAD} characters. */
    public static DeadLetter of(String topic, int partition, long offset, String key, byte[] value, String reason,
                                String rejectedBy) {
        String payload = value == null ? "" : new String(value, 0, Math.min(value.length, MAX_PAYLOAD * 4),
                java.nio.charset.StandardCharsets.UTF_8);
        return new DeadLetter(topic, partition, offset, key, reason, payload, rejectedBy);
    }

    private static String abbreviate(String s) {
        return s.length() <= MAX_PAYLOAD ? s : s.substring(0, MAX_PAYLOAD) + "…";
    }
}
