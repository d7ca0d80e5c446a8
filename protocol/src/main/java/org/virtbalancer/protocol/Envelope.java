package org.virtbalancer.protocol;

import java.util.UUID;

/**
 * The one wire shape of every message:
 * {@code {"v":1,"type":"…","id":"…","ts":epochMillis,"source":"agent:host-a","body":{…}}},
 * plus {@code epoch} (leader epoch) and {@code sig} (HMAC) on commands.
 *
 * @param v      schema version; only {@link #VERSION} is accepted
 * @param id     unique message id; for commands also the command id that results refer to
 * @param ts     creation time, epoch milliseconds
 * @param source who wrote it, e.g. {@code agent:host-a}, {@code balancer:b1}, {@code operator:alice}
 * @param epoch  leader epoch of the balancer that issued a command; 0 when not a command
 * @param sig    signature of a command ({@code KEYID:BASE64}, see {@link SigningKeys}); empty when unsigned
 * @param body   the message
 */
public record Envelope(int v, String id, long ts, String source, long epoch, String sig, Message body) {
    public static final int VERSION = 1;

    public Envelope {
        if (v != VERSION) {
            throw new InvalidMessageException("v", "version " + v + " is not supported; this build reads version " + VERSION);
        }
        Check.text("id", id);
        if (id.isBlank() || id.length() > 128) {
            throw new InvalidMessageException("id", "must be 1-128 characters");
        }
        Check.positive("ts", ts);
        Check.text("source", source);
        Check.nonNegative("epoch", epoch);
        sig = Check.optionalText("sig", sig);
        Check.present("body", body);
    }

    /** A new envelope with a random id, stamped now. */
    public static Envelope of(String source, Message body, long nowMillis) {
        return new Envelope(VERSION, UUID.randomUUID().toString(), nowMillis, source, 0, "", body);
    }

    /** A command envelope: {@code commandId} becomes the id, {@code epoch} the leader epoch. */
    public static Envelope command(String commandId, String source, long epoch, Message body, long nowMillis) {
        return new Envelope(VERSION, commandId, nowMillis, source, epoch, "", body);
    }

    public MessageType type() {
        return MessageType.of(body);
    }

    /** The same envelope with signature {@code newSig} (empty: unsigned); see {@link SigningKeys}. */
    public Envelope withSig(String newSig) {
        return new Envelope(v, id, ts, source, epoch, newSig, body);
    }
}
