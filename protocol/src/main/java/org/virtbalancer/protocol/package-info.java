/**
 * The wire contract of virt-balancer: one JSON envelope for every message, the message records
 * it carries, their validation, and the topic names. Depends on Jackson only (but for the package
 * {@code kafka}).
 *
 * <p>Every record validates itself in its constructor, so a value of any type here is valid by
 * construction; {@link org.virtbalancer.protocol.Codec} turns bytes into such values or into a
 * {@link org.virtbalancer.protocol.Decoded.Rejected} that names the offending field.
 */
package org.virtbalancer.protocol;
