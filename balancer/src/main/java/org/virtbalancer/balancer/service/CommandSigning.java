package org.virtbalancer.balancer.service;

import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.SigningKeys;

import java.util.Optional;

/**
 * How a balancer signs and checks signatures (issue 8). {@link #NONE}: it signs nothing and checks
 * nothing, as balancers did before.
 *
 * <p>With keys, the balancer signs every command it sends (Migrate, Abort on the host command topics)
 * and every control message it writes (its own, and those of the HTTP API) with the key
 * {@code keyId}; it follows only commands on the command topics that are signed with one of its
 * keys (a forged one is the agents' to reject, and must not make the balancer believe in a
 * migration). With {@code requireSignedControl} it also acts on a control message (EnterMaintenance,
 * ExitMaintenance, SetAutomation, ApprovePlan, RequestMigration) only when it is signed with one of
 * its keys; any other goes to the dead-letter topic.
 *
 * @param keys                 the key set; empty: no signing
 * @param keyId                the key to sign with; empty: the only key of the set
 * @param requireSignedControl whether control messages must be signed
 */
public record CommandSigning(Optional<SigningKeys> keys, String keyId, boolean requireSignedControl) {
    public static final CommandSigning NONE = new CommandSigning(Optional.empty(), "", false);

    public CommandSigning {
        if (keys == null) {
            throw new IllegalArgumentException("keys must be given (Optional.empty() for none)");
        }
        keyId = keyId == null ? "" : keyId.strip();
        if (keys.isEmpty() && requireSignedControl) {
            throw new IllegalArgumentException("--require-signed-control needs the signing keys to check with: give"
                    + " --signing-key-file");
        }
        if (keys.isEmpty() && !keyId.isEmpty()) {
            throw new IllegalArgumentException("--signing-key-id " + keyId + " names a key, but there is no key file: give"
                    + " --signing-key-file");
        }
        if (keys.isPresent()) {
            keys.get().signer(keyId);
        }
    }

    /** Signs with {@code keys}: the key {@code keyId}, or the only one when it is empty. */
    public static CommandSigning with(SigningKeys keys, String keyId) {
        return new CommandSigning(Optional.of(keys), keyId, false);
    }

    public CommandSigning requiringSignedControl(boolean value) {
        return new CommandSigning(keys, keyId, value);
    }

    /** Whether this balancer signs and checks signatures. */
    public boolean enabled() {
        return keys.isPresent();
    }

    /** {@code envelope} signed with the current key; unchanged without keys. */
    public Envelope sign(Envelope envelope) {
        return keys.map(k -> k.signer(keyId).sign(envelope)).orElse(envelope);
    }

    /** The check of a received message's signature; valid whenever this balancer has no keys. */
    public SigningKeys.Verification verify(Envelope envelope, byte[] payload) {
        return keys.map(k -> k.verify(envelope, payload)).orElse(new SigningKeys.Verification.Valid(""));
    }

    /** The id of the key this balancer signs with; empty without keys. */
    public String signingKeyId() {
        return keys.map(k -> k.signer(keyId).keyId()).orElse("");
    }
}
