package org.virtbalancer.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.protocol.SigningKeys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The signing keys of an agent's key file, read again whenever the file's content changes, so that
 * a key rotation needs no restart: the file is read (a few hundred bytes) before each signed
 * command is checked, and parsed only when it differs from the last read. A file that turns
 * unreadable or invalid keeps the last good keys, and the log says what to fix. Blocking (file
 * reads): call {@link #current()} from a worker thread.
 */
final class CommandKeys {
    private static final Logger LOG = LoggerFactory.getLogger(CommandKeys.class);

    private final Path file;
    private byte[] lastRead;
    private SigningKeys keys;
    private String lastProblem;

    private CommandKeys(Path file) {
        this.file = file;
    }

    /**
     * Reads the file for the first time (blocking).
     *
     * @throws IllegalStateException saying what to do, when it cannot be read or holds no valid key
     */
    static CommandKeys open(Path file) {
        CommandKeys k = new CommandKeys(file);
        try {
            byte[] content = Files.readAllBytes(file);
            k.use(content);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the signing key file " + file + " (" + e + "): create it with "
                    + SigningKeys.HOW_TO_MAKE_A_KEY.replace("FILE", file.toString()) + " and chmod 600 it, or run without"
                    + " --signing-key-file to accept unsigned commands", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return k;
    }

    Path file() {
        return file;
    }

    /** The keys as the file holds them now (blocking); the last good ones when it cannot be used now. */
    synchronized SigningKeys current() {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            problem("cannot read the signing key file " + file + " (" + e + "); still using keys " + keys.ids()
                    + ": restore the file");
            return keys;
        }
        if (!Arrays.equals(content, lastRead)) {
            try {
                use(content);
            } catch (IllegalArgumentException e) {
                lastRead = content;
                problem(e.getMessage() + "; still using keys " + keys.ids() + " until the file is fixed");
            }
        }
        return keys;
    }

    private void use(byte[] content) {
        SigningKeys parsed = SigningKeys.parse(new String(content, StandardCharsets.UTF_8), file.toString());
        SigningKeys.permissionWarnings(file).forEach(LOG::warn);
        if (keys == null) {
            LOG.info("commands must be signed with a key of {}: keys {}", file, parsed.ids());
        } else if (!keys.ids().equals(parsed.ids()) || !Arrays.equals(content, lastRead)) {
            LOG.info("signing keys reloaded from {}: now {} (were {})", file, parsed.ids(), keys.ids());
        }
        keys = parsed;
        lastRead = content;
        lastProblem = null;
    }

    private void problem(String message) {
        if (!message.equals(lastProblem)) {
            LOG.error(message);
            lastProblem = message;
        }
    }
}
