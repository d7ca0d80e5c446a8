package org.virtbalancer.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SigningKeysTest {
    private static final byte[] KEY_A = bytes(1);
    private static final byte[] KEY_B = bytes(2);
    private final Codec codec = new Codec();

    private static byte[] bytes(int seed) {
        byte[] b = new byte[32];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    private static String line(String id, byte[] key) {
        return id + "=" + Base64.getEncoder().encodeToString(key);
    }

    private static Envelope abort() {
        return new Envelope(1, "a-1", 1_700_000_000_000L, "balancer:b1", 3, "", new Abort("c-1", "web", ""));
    }

    private static Envelope migrate() {
        return Envelope.command("cmd-1", "balancer:b1", 7, new Migrate("web", "host-a", "host-b", MigrationMode.LIVE,
                MigrationOptions.move(), 1_800_000_000_000L, "overload"), 1_700_000_000_000L);
    }

    @Test
    void theCanonicalFormIsTheJsonWithoutSigWithSortedKeysAndNoWhitespace() {
        // The example the class comment gives: a change here must change the documentation too.
        assertEquals("{\"body\":{\"commandId\":\"c-1\",\"guest\":\"web\",\"reason\":\"\"},\"epoch\":3,\"id\":\"a-1\","
                        + "\"source\":\"balancer:b1\",\"ts\":1700000000000,\"type\":\"Abort\",\"v\":1}",
                new String(SigningKeys.canonical(abort().withSig("k1:whatever")), StandardCharsets.UTF_8));
        String spaced = "{ \"v\" : 1, \"type\":\"Abort\", \"sig\":\"x:y\", \"source\":\"balancer:b1\", \"id\":\"a-1\","
                + " \"ts\":1700000000000, \"epoch\":3, \"body\":{\"reason\":\"\",\"guest\":\"web\",\"commandId\":\"c-1\"} }";
        assertEquals(new String(SigningKeys.canonical(abort()), StandardCharsets.UTF_8),
                new String(SigningKeys.canonical(spaced.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
    }

    @Test
    void aSignedEnvelopeVerifiesAfterTheTripThroughTheCodec() {
        SigningKeys keys = SigningKeys.of(Map.of("k1", KEY_A));
        Envelope signed = keys.signer("").sign(migrate());
        assertTrue(signed.sig().matches("k1:[A-Za-z0-9+/]{43}="), signed.sig());

        byte[] wire = codec.encode(signed);
        Envelope received = ((Decoded.Ok) codec.decode(wire)).envelope();

        assertEquals(new SigningKeys.Verification.Valid("k1"), keys.verify(received, wire));
    }

    @Test
    void anyChangeToAFieldBreaksTheSignature() {
        SigningKeys keys = SigningKeys.of(Map.of("k1", KEY_A));
        String wire = codec.encodeToString(keys.signer("k1").sign(migrate()));
        for (String[] change : List.of(new String[] {"\"target\":\"host-b\"", "\"target\":\"host-c\""},
                new String[] {"\"ts\":1700000000000", "\"ts\":1700000000001"},
                new String[] {"\"epoch\":7", "\"epoch\":8"},
                new String[] {"\"id\":\"cmd-1\"", "\"id\":\"cmd-2\""},
                new String[] {"\"autoConverge\":false", "\"autoConverge\":true"},
                new String[] {"\"reason\":\"overload\"", "\"reason\":\"overload\",\"extra\":1"})) {
            String altered = wire.replace(change[0], change[1]);
            assertTrue(!altered.equals(wire), change[0]);
            byte[] bytes = altered.getBytes(StandardCharsets.UTF_8);
            Envelope received = ((Decoded.Ok) codec.decode(bytes)).envelope();
            assertEquals(new SigningKeys.Verification.Mismatch("k1"), keys.verify(received, bytes), change[1]);
        }
    }

    @Test
    void unsignedUnknownKeyWrongKeyAndMalformedSignaturesAreToldApart() {
        SigningKeys verifier = SigningKeys.of(Map.of("k1", KEY_A));
        Envelope unsigned = migrate();
        assertEquals(new SigningKeys.Verification.Unsigned(), verifier.verify(unsigned, codec.encode(unsigned)));

        Envelope other = SigningKeys.of(Map.of("k9", KEY_B)).signer("").sign(migrate());
        assertEquals(new SigningKeys.Verification.UnknownKey("k9", Set.of("k1")), verifier.verify(other, codec.encode(other)));

        Envelope sameIdOtherKey = SigningKeys.of(Map.of("k1", KEY_B)).signer("").sign(migrate());
        assertEquals(new SigningKeys.Verification.Mismatch("k1"), verifier.verify(sameIdOtherKey, codec.encode(sameIdOtherKey)));

        for (String bad : List.of("nocolon", ":abc", "k1:not base64!", "k1:" + Base64.getEncoder().encodeToString(new byte[16]))) {
            Envelope e = migrate().withSig(bad);
            assertInstanceOf(SigningKeys.Verification.Malformed.class, verifier.verify(e, codec.encode(e)), bad);
        }
    }

    @Test
    void duringARotationBothKeysVerify() {
        SigningKeys both = SigningKeys.parse(line("old", KEY_A) + "\n" + line("new", KEY_B) + "\n", "keys");
        Envelope byOld = SigningKeys.of(Map.of("old", KEY_A)).signer("").sign(migrate());
        Envelope byNew = SigningKeys.of(Map.of("new", KEY_B)).signer("").sign(migrate());
        assertTrue(both.verify(byOld, codec.encode(byOld)).valid());
        assertTrue(both.verify(byNew, codec.encode(byNew)).valid());
        assertEquals("new", both.signer("new").keyId());
        IllegalArgumentException which = assertThrows(IllegalArgumentException.class, () -> both.signer(""));
        assertTrue(which.getMessage().contains("--signing-key-id"), which.getMessage());
    }

    @Test
    void keyFilesSkipCommentsAndRefuseWhatIsNotAKeyNamingTheLine() {
        SigningKeys keys = SigningKeys.parse("# rotated 2025-01\n\n" + line("k1", KEY_A) + "\r\n  " + line("k2", KEY_B) + "  \n",
                "/etc/vb/keys");
        assertEquals(List.of("k1", "k2"), List.copyOf(keys.ids()));

        assertMessage("/etc/vb/keys line 2 is not ID=BASE64KEY", "# c\nnot a key line\n");
        assertMessage("line 1: key id 'bad id'", "bad id=" + Base64.getEncoder().encodeToString(KEY_A));
        assertMessage("line 1: the key of 'k1' is not Base64", "k1=%%%");
        assertMessage("line 1: the key of 'k1' has 16 bytes; at least 32", "k1=" + Base64.getEncoder().encodeToString(new byte[16]));
        assertMessage("line 2: key id 'k1' is given twice", line("k1", KEY_A) + "\n" + line("k1", KEY_B));
        assertMessage("/etc/vb/keys holds no key", "# nothing\n");
    }

    private static void assertMessage(String expected, String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SigningKeys.parse(text, "/etc/vb/keys"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aKeyFileOthersCanReadIsUsedWithAWarning(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("keys"), line("k1", KEY_A) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertEquals(List.of(), SigningKeys.load(file).warnings());

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        SigningKeys.Loaded loaded = SigningKeys.load(file);
        assertEquals(Set.of("k1"), loaded.keys().ids());
        assertEquals(1, loaded.warnings().size());
        assertTrue(loaded.warnings().get(0).contains("has mode 0644") && loaded.warnings().get(0).contains("chmod 600 " + file),
                loaded.warnings().get(0));
    }

    @Test
    void aMessageSignedByTheReadmesPythonSnippetVerifies() {
        // Made by the README's sign() in Python 3 with key bytes 0..31, as a script writing control messages would.
        String fromPython = "{\"v\": 1, \"type\": \"EnterMaintenance\", \"id\": \"m-1\", \"ts\": 1700000000000, \"source\":"
                + " \"operator:script\", \"body\": {\"host\": \"kvm-07\", \"reason\": \"Lüfter/\\\"fan\\\"\\ttausch\\nheute\"},"
                + " \"sig\": \"ops:Ocv6BR+fpQGWjjBnd8TlxpRPtZK9iter1A5mGqd+jVw=\"}";
        SigningKeys keys = SigningKeys.parse("ops=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "keys");
        byte[] wire = fromPython.getBytes(StandardCharsets.UTF_8);
        Envelope received = ((Decoded.Ok) codec.decode(wire)).envelope();
        assertEquals("Lüfter/\"fan\"\ttausch\nheute", ((EnterMaintenance) received.body()).reason());
        assertEquals(new SigningKeys.Verification.Valid("ops"), keys.verify(received, wire));
        // And Java signing the same message comes to the same signature.
        assertEquals(received.sig(), keys.signer("ops").sign(received.withSig("")).sig());
    }
}
