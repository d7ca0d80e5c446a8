package org.virtbalancer.deploy.cli;

import org.virtbalancer.protocol.SigningKeys;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The signing key of what a command writes: {@code --signing-key-file} (a file of
 * {@code ID=BASE64KEY} lines, mode 0600) and {@code --signing-key-id} (which of its keys; needed
 * when it holds several). The operator commands also read {@code VB_SIGNING_KEY_FILE} and
 * {@code VB_SIGNING_KEY_ID}; the balancer reads them through its config defaults as every option.
 * Without a file nothing is signed.
 */
public final class SigningOptions {
    static final String FILE_ENV = "VB_SIGNING_KEY_FILE";
    static final String ID_ENV = "VB_SIGNING_KEY_ID";

    @Option(names = "--signing-key-file", paramLabel = "FILE",
            description = "File of signing keys, one ID=BASE64KEY a line, readable by its owner only: sign what is"
                    + " sent with one of them (default: $" + FILE_ENV + "; none: nothing is signed)")
    Path keyFile;

    @Option(names = "--signing-key-id", paramLabel = "ID",
            description = "Which key of --signing-key-file signs (default: $" + ID_ENV + ", else the only key in the file)")
    String keyId;

    /** The file, from the option or the environment. */
    Optional<Path> file() {
        if (keyFile != null) {
            return Optional.of(keyFile);
        }
        String fromEnv = System.getenv(FILE_ENV);
        return fromEnv == null || fromEnv.isBlank() ? Optional.empty() : Optional.of(Path.of(fromEnv.strip()));
    }

    /** The key id, from the option or the environment; empty: the file's only key. */
    String id() {
        if (keyId != null && !keyId.isBlank()) {
            return keyId.strip();
        }
        String fromEnv = System.getenv(ID_ENV);
        return fromEnv == null ? "" : fromEnv.strip();
    }

    /**
     * The keys of the file (warning on stderr when others may read it), or empty without a file.
     *
     * @throws CommandFailure (usage) saying what to do when the file cannot be used, or names no such key
     */
    Optional<SigningKeys> keys() {
        Optional<Path> file = file();
        if (file.isEmpty()) {
            if (!id().isEmpty()) {
                throw CommandFailure.usage("--signing-key-id " + id() + " names a key, but no --signing-key-file (or $"
                        + FILE_ENV + ") says where the keys are");
            }
            return Optional.empty();
        }
        SigningKeys.Loaded loaded;
        try {
            loaded = SigningKeys.load(file.get());
        } catch (IOException e) {
            throw CommandFailure.usage("cannot read --signing-key-file " + file.get() + " (" + e + "); give a readable file"
                    + " of ID=BASE64KEY lines, e.g. made with " + SigningKeys.HOW_TO_MAKE_A_KEY.replace("FILE", file.get().toString()));
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage(e.getMessage());
        }
        loaded.warnings().forEach(w -> System.err.println("warning: " + w));
        try {
            loaded.keys().signer(id());
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage(e.getMessage());
        }
        return Optional.of(loaded.keys());
    }

    /** Signs with the chosen key, or not at all without a file. */
    Optional<SigningKeys.Signer> signer() {
        return keys().map(k -> k.signer(id()));
    }
}
