package org.virtbalancer.protocol;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * HMAC-SHA256 keys by id, to sign envelopes and to verify their signatures (README, "Signed
 * commands and the target allow-list"). A key set comes from a key file of {@code ID=BASE64KEY}
 * lines; several keys let a key be rotated without downtime: verifiers accept any key of their
 * set, a signer signs with one.
 *
 * <p><b>Signature.</b> {@code sig = KEYID ":" BASE64(HMAC-SHA256(key, canonical))}, standard
 * Base64 with padding (44 characters).
 *
 * <p><b>Canonical form</b> ({@link #canonical(byte[])}): the envelope's JSON as it travels, parsed,
 * with the top-level {@code sig} field removed, then written back as UTF-8 JSON with no whitespace
 * and the keys of every object, at every level, sorted (Java's {@code String} order: UTF-16 code
 * units, which for the ASCII field names of this protocol is byte order). Strings are written with
 * only {@code "}, {@code \} and control characters escaped (non-ASCII characters as plain UTF-8),
 * integers in plain decimal. Every field that travels is covered, those a reader does not know
 * included, so a newer writer's extra fields do not break an older reader's check. For example the
 * canonical form of an Abort is
 * {@code {"body":{"commandId":"c-1","guest":"web","reason":""},"epoch":3,"id":"a-1","source":"balancer:b1","ts":1700000000000,"type":"Abort","v":1}}.
 * The signer computes it from the unsigned envelope it is about to send ({@link #canonical(Envelope)}),
 * the verifier from the bytes it received ({@link #verify}); both come to the same bytes.
 */
public final class SigningKeys {
    /** What a key id may be: it is written into every signature. */
    public static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** HMAC-SHA256 keys shorter than its 32-byte output weaken it. */
    public static final int MIN_KEY_BYTES = 32;
    /** How to make a key line, for error messages. */
    public static final String HOW_TO_MAKE_A_KEY = "printf 'KEYID=%s\\n' \"$(head -c 32 /dev/urandom | base64)\" >> FILE";
    private static final String ALGORITHM = "HmacSHA256";
    private static final Codec CODEC = new Codec();
    private static final ObjectMapper CANONICAL = canonicalMapper();

    private final Map<String, byte[]> keys;

    private SigningKeys(Map<String, byte[]> keys) {
        this.keys = keys;
    }

    /** A key set of exactly these keys, by id. */
    public static SigningKeys of(Map<String, byte[]> keys) {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        keys.forEach((id, key) -> {
            checkId(id, "key id");
            if (key == null || key.length < MIN_KEY_BYTES) {
                throw new IllegalArgumentException("key '" + id + "' has " + (key == null ? 0 : key.length) + " bytes; at least "
                        + MIN_KEY_BYTES + " are needed: " + HOW_TO_MAKE_A_KEY);
            }
            copy.put(id, key.clone());
        });
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("a key set needs at least one key: " + HOW_TO_MAKE_A_KEY);
        }
        return new SigningKeys(copy);
    }

    /**
     * Reads a key file's text: one {@code ID=BASE64KEY} a line; blank lines and lines starting with
     * {@code #} are skipped.
     *
     * @param origin names the text in errors, e.g. the file's path
     * @throws IllegalArgumentException naming the line and what to do, when a line is not a key or
     *                                  the text holds none
     */
    public static SigningKeys parse(String text, String origin) {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = origin + " line " + (i + 1);
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(where + " is not ID=BASE64KEY; write each key as such a line: "
                        + HOW_TO_MAKE_A_KEY.replace("FILE", origin));
            }
            String id = line.substring(0, eq).strip();
            if (!KEY_ID.matcher(id).matches()) {
                throw new IllegalArgumentException(where + ": key id '" + Check.abbreviate(id) + "' may only hold 1-64 letters,"
                        + " digits, '.', '_' and '-'");
            }
            byte[] key = base64(line.substring(eq + 1).strip());
            if (key == null) {
                throw new IllegalArgumentException(where + ": the key of '" + id + "' is not Base64; make one with "
                        + HOW_TO_MAKE_A_KEY.replace("KEYID", id).replace("FILE", origin));
            }
            if (key.length < MIN_KEY_BYTES) {
                throw new IllegalArgumentException(where + ": the key of '" + id + "' has " + key.length + " bytes; at least "
                        + MIN_KEY_BYTES + " are needed: " + HOW_TO_MAKE_A_KEY.replace("KEYID", id).replace("FILE", origin));
            }
            if (keys.put(id, key) != null) {
                throw new IllegalArgumentException(where + ": key id '" + id + "' is given twice; give each key its own id");
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(origin + " holds no key; add a line ID=BASE64KEY: "
                    + HOW_TO_MAKE_A_KEY.replace("FILE", origin));
        }
        return new SigningKeys(keys);
    }

    /**
     * A key file's keys, and warnings about the file (its permissions) for the caller to log.
     *
     * @param keys     the keys
     * @param warnings what is wrong with the file but does not stop its use; empty when nothing is
     */
    public record Loaded(SigningKeys keys, List<String> warnings) {
        public Loaded {
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Reads a key file (blocking). A file others than its owner may read or write gives a warning:
     * whoever reads a key can sign commands.
     *
     * @throws IOException              when it cannot be read
     * @throws IllegalArgumentException when it holds no key or a line that is not one
     */
    public static Loaded load(Path file) throws IOException {
        byte[] content = Files.readAllBytes(file);
        SigningKeys keys = parse(new String(content, StandardCharsets.UTF_8), file.toString());
        return new Loaded(keys, permissionWarnings(file));
    }

    /** Warnings about who else may read or change {@code file}; empty on a file system without POSIX modes. */
    public static List<String> permissionWarnings(Path file) {
        List<String> warnings = new ArrayList<>();
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            boolean open = perms.stream().anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"));
            if (open) {
                warnings.add("signing key file " + file + " has mode " + mode(perms) + " (" + PosixFilePermissions.toString(perms)
                        + "): users other than its owner can read or change it, and whoever reads a key can sign commands;"
                        + " make it readable by the service's user only: chmod 600 " + file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // No POSIX modes here (or the file went away after it was read): nothing to say.
        }
        return warnings;
    }

    private static String mode(Set<PosixFilePermission> perms) {
        int mode = 0;
        for (PosixFilePermission p : perms) {
            mode |= 1 << (8 - p.ordinal());
        }
        return String.format("0%03o", mode);
    }

    private static byte[] base64(String text) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            try {
                return Base64.getUrlDecoder().decode(text);
            } catch (IllegalArgumentException e2) {
                return null;
            }
        }
    }

    private static void checkId(String id, String what) {
        if (id == null || !KEY_ID.matcher(id).matches()) {
            throw new IllegalArgumentException(what + " '" + id + "' may only hold 1-64 letters, digits, '.', '_' and '-'");
        }
    }

    /** The key ids, in the order they were given. */
    public Set<String> ids() {
        return java.util.Collections.unmodifiableSet(keys.keySet());
    }

    /**
     * Signs with the key {@code keyId}, or, when it is empty, with the only key of the set.
     *
     * @throws IllegalArgumentException when there is no such key, or no id is given and the set has
     *                                  several keys
     */
    public Signer signer(String keyId) {
        if (keyId == null || keyId.isBlank()) {
            if (keys.size() != 1) {
                throw new IllegalArgumentException("the key file holds " + keys.size() + " keys " + keys.keySet()
                        + ": name the one to sign with (--signing-key-id)");
            }
            keyId = keys.keySet().iterator().next();
        }
        byte[] key = keys.get(keyId.strip());
        if (key == null) {
            throw new IllegalArgumentException("no key '" + keyId + "' among " + keys.keySet()
                    + ": name one of them to sign with, or add it to the key file");
        }
        return new Signer(keyId.strip(), key);
    }

    /** Signs envelopes with one key. Thread-safe. */
    public static final class Signer {
        private final String keyId;
        private final byte[] key;

        private Signer(String keyId, byte[] key) {
            this.keyId = keyId;
            this.key = key;
        }

        public String keyId() {
            return keyId;
        }

        /** {@code envelope} with its {@code sig} set: {@code KEYID:BASE64(HMAC-SHA256(key, canonical form))}. */
        public Envelope sign(Envelope envelope) {
            byte[] mac = hmac(key, canonical(envelope));
            return envelope.withSig(keyId + ":" + Base64.getEncoder().encodeToString(mac));
        }

        @Override
        public String toString() {
            return "Signer[" + keyId + "]";
        }
    }

    /** What a signature check found. */
    public sealed interface Verification {
        /** Whether the message is signed by a key of the set and unaltered. */
        default boolean valid() {
            return this instanceof Valid;
        }

        /** What is wrong, in a few words; empty for a valid one. */
        String problem();

        /** Signed with {@code keyId} and unaltered since. */
        record Valid(String keyId) implements Verification {
            @Override
            public String problem() {
                return "";
            }
        }

        /** No {@code sig} at all. */
        record Unsigned() implements Verification {
            @Override
            public String problem() {
                return "it is not signed";
            }
        }

        /** {@code sig} is not {@code KEYID:BASE64} of an HMAC-SHA256. */
        record Malformed(String sig) implements Verification {
            @Override
            public String problem() {
                return "its signature '" + Check.abbreviate(sig) + "' is not KEYID:BASE64 of an HMAC-SHA256";
            }
        }

        /** Signed with a key id this set does not have. */
        record UnknownKey(String keyId, Set<String> known) implements Verification {
            @Override
            public String problem() {
                return "it is signed with key '" + keyId + "', which is not one of the keys " + known + " accepted here";
            }
        }

        /** Signed with a key id of this set, but the signature does not match: altered, or signed with another key. */
        record Mismatch(String keyId) implements Verification {
            @Override
            public String problem() {
                return "its signature (key '" + keyId + "') does not match its content: it was altered after signing,"
                        + " or signed with a different key under that id";
            }
        }
    }

    /**
     * Checks the signature of a received message.
     *
     * @param envelope the decoded message (its {@code sig})
     * @param payload  the bytes it was decoded from, which the signature covers
     */
    public Verification verify(Envelope envelope, byte[] payload) {
        String sig = envelope.sig();
        if (sig.isEmpty()) {
            return new Verification.Unsigned();
        }
        int colon = sig.indexOf(':');
        if (colon <= 0 || !KEY_ID.matcher(sig.substring(0, colon)).matches()) {
            return new Verification.Malformed(sig);
        }
        String keyId = sig.substring(0, colon);
        byte[] given;
        try {
            given = Base64.getDecoder().decode(sig.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            return new Verification.Malformed(sig);
        }
        if (given.length != 32) {
            return new Verification.Malformed(sig);
        }
        byte[] key = keys.get(keyId);
        if (key == null) {
            return new Verification.UnknownKey(keyId, ids());
        }
        byte[] canonical;
        try {
            canonical = canonical(payload);
        } catch (IllegalArgumentException e) {
            return new Verification.Mismatch(keyId);
        }
        return MessageDigest.isEqual(hmac(key, canonical), given) ? new Verification.Valid(keyId)
                : new Verification.Mismatch(keyId);
    }

    /** The canonical form of an envelope about to be sent (its {@code sig} is left out). */
    public static byte[] canonical(Envelope envelope) {
        return canonical(CODEC.encode(envelope.withSig("")));
    }

    /**
     * The canonical form of a JSON envelope: without its top-level {@code sig}, keys sorted at every
     * level, no whitespace, UTF-8 (see the class comment).
     *
     * @throws IllegalArgumentException when {@code json} is not a JSON object within the codec's limits
     */
    public static byte[] canonical(byte[] json) {
        JsonNode root;
        try {
            root = CANONICAL.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        ((ObjectNode) root).remove("sig");
        try {
            return CANONICAL.writeValueAsBytes(sorted(root));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the canonical form: " + e.getMessage(), e);
        }
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                fields.put(e.getKey(), e.getValue());
            }
            ObjectNode out = CANONICAL.createObjectNode();
            fields.forEach((k, v) -> out.set(k, sorted(v)));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = CANONICAL.createArrayNode();
            node.forEach(e -> out.add(sorted(e)));
            return out;
        }
        return node;
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM offers no " + ALGORITHM + ": " + e, e);
        }
    }

    private static ObjectMapper canonicalMapper() {
        JsonMapper m = JsonMapper.builder()
                // Decimal numbers keep their digits (commands carry none, but other messages may be signed one day).
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .build();
        m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(32).maxStringLength(Codec.MAX_BYTES).maxNumberLength(100).build());
        return m;
    }

    @Override
    public String toString() {
        return "SigningKeys" + keys.keySet();
    }
}
