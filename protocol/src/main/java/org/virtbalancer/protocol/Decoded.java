package org.virtbalancer.protocol;

/** The outcome of {@link Codec#decode(byte[])}: a valid envelope, or the reason it was rejected. */
public sealed interface Decoded {
    /** A valid message. */
    record Ok(Envelope envelope) implements Decoded {}

    /**
     * Input that is not a valid message.
     *
     * @param reason what is wrong, naming the field, and what to do
     */
    record Rejected(String reason) implements Decoded {}
}
