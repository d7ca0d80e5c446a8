package org.virtbalancer.deploy.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

/** The bearer token of a balancer's API: read from a file or the environment, or made up for the demo. */
final class ApiToken {
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiToken() {}

    /** The token in {@code file} (first line, trimmed), else {@code fromEnv}, else "" (the API takes no writes). */
    static String read(Path file, String fromEnv) {
        if (file != null) {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8).strip();
                int newline = text.indexOf('\n');
                String token = newline < 0 ? text : text.substring(0, newline).strip();
                if (token.isEmpty()) {
                    throw new IllegalArgumentException("--api-token-file " + file + " is empty; put a token in it, e.g.:"
                            + " head -c 24 /dev/urandom | base64 > " + file + " && chmod 600 " + file);
                }
                return token;
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --api-token-file " + file + " (" + e.getMessage()
                        + "); create it, e.g.: head -c 24 /dev/urandom | base64 > " + file + " && chmod 600 " + file);
            }
        }
        return fromEnv == null ? "" : fromEnv.strip();
    }

    /** 32 random characters, URL-safe, for a demo that prints its own token. */
    static String generate() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
