package org.virtbalancer.deploy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.BlockedGuest;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.DeadLetter;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.DomainEventKind;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.LeaderEpoch;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.PlannedMove;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.protocol.RequestOutcome;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.SetAutomation;
import org.virtbalancer.protocol.StoragePool;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Hostile input, generated deterministically from a seed: valid messages of every type (naming
 * the test cluster's hosts and guests, unknown ones, and repeated ids) and mutations of them —
 * truncation, byte flips and splices, deleted, duplicated and retyped fields, huge strings and
 * arrays, deep nesting, NaN, negative and overflowing numbers, unicode (lone surrogates, RTL
 * override, zero-width, NUL), random JSON and random bytes — plus messages of a type that does not
 * belong on the topic. No fuzzing library: the same seed always gives the same inputs.
 */
final class FuzzInputs {
    /** A consumed Kafka topic kind. */
    enum Target { INVENTORY, HOST_LOAD, DOMAIN_EVENTS, COMMAND_RESULTS, CONTROL, COMMANDS }

    /**
     * One record to send.
     *
     * @param host     for {@link Target#COMMANDS}: whose command topic
     * @param key      the record key (may be null)
     * @param value    the payload (may be empty)
     * @param mutation what was done to it, for reports
     */
    record Input(Target target, String host, String key, byte[] value, String mutation) {}

    /** Ghost hosts may send valid inventories: a small fixed set, so the cluster does not grow without end. */
    static final List<String> GHOSTS = List.of("ghost-1", "ghost-2", "ghost-3");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Writes every non-ASCII character as a \\u escape: the only way to send a lone surrogate. */
    private static final ObjectMapper ESCAPING = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII).build();
    private static final JsonNodeFactory NF = JsonNodeFactory.instance;
    /** Raw tokens spliced in after serialising: things a tree cannot hold. */
    private static final String RAW = "\u0001RAW:";
    private static final String[] RAW_TOKENS = {"NaN", "-NaN", "Infinity", "-Infinity", "1e400", "-1e400", "0x1F", "01",
            "+1", ".5", "1.", "9".repeat(120), "-" + "9".repeat(120), "1e-400", "undefined", "tru", "nul", "'x'",
            "[" .repeat(40) + "]".repeat(40), "{\"a\":" .repeat(40) + "1" + "}".repeat(40)};
    private static final String[] ODD_TEXT = {"", " ", "\t", "\uD800", "\uDFFF", "a\uD800b", "\u202Ehost-1", "host\u200B-1",
            "web\u200D-1", "\uFEFFhost-1", "\u0000", "host-1\u0000", "e\u0301", "\uD83D\uDE00", "ホスト-1", "хост-1",
            "host-1\n", "host-1\r\nX-Injected: 1", "../../../etc/passwd", "host-1; rm -rf /", "$(reboot)", "`id`",
            "%s%n%x", "${jndi:ldap://127.0.0.1:1/a}", "<script>alert(1)</script>", "' OR '1'='1", "NaN", "Infinity",
            "-1", "null", "true", "{}", "[]", "\\", "\"", "host-1/../host-2", "qemu+ssh://127.0.0.1/system",
            "-host", ".host", "a".repeat(129), "A".repeat(4097)};
    /** Larger records never reach a consumer: Kafka refuses them (max.request.size, message.max.bytes). */
    static final int MAX_RECORD = 1_000_000;
    private static final DomainEventKind[] KINDS = DomainEventKind.values();

    private final SplittableRandom rng;
    private final Codec codec = new Codec();
    private final List<String> hosts;
    private final Map<String, List<String>> guests;
    private final List<String> allGuests;
    private final String[] recentIds = new String[32];
    private long serial;

    /**
     * @param hosts  the test cluster's hosts
     * @param guests each host's guests at the start
     */
    FuzzInputs(long seed, List<String> hosts, Map<String, List<String>> guests) {
        this.rng = new SplittableRandom(seed);
        this.hosts = List.copyOf(hosts);
        this.guests = Map.copyOf(guests);
        this.allGuests = guests.values().stream().flatMap(List::stream).sorted().toList();
        Arrays.fill(recentIds, "dup-0");
    }

    SplittableRandom random() {
        return rng;
    }

    // ---------------------------------------------------------------- Kafka records

    /** The next record for {@code target}. */
    Input next(Target target) {
        String host = pick(hosts);
        int roll = rng.nextInt(100);
        Message body;
        String how;
        if (roll < 8) {
            body = validOfOtherType(target, host);
            how = "misplaced " + body.getClass().getSimpleName();
        } else {
            body = validFor(target, host);
            how = "valid " + body.getClass().getSimpleName();
        }
        Envelope env = envelope(body, target);
        String key = keyFor(target, body, host);
        byte[] value = codec.encode(env);
        if (roll >= 8 && roll < 20) {
            // valid (unknown hosts and guests, repeated ids, odd but legal values): as it is
        } else if (roll < 65) {
            int n = 1 + rng.nextInt(3);
            JsonNode tree = readTree(value);
            StringBuilder what = new StringBuilder(how);
            for (int i = 0; i < n; i++) {
                what.append(", ").append(mutateTree(tree));
            }
            value = write(tree);
            how = what.toString();
        } else if (roll < 88) {
            String m = pick(BYTE_MUTATIONS);
            value = mutateBytes(value, m);
            how = how + ", bytes: " + m;
        } else {
            int kind = rng.nextInt(6);
            switch (kind) {
                case 0 -> {
                    value = randomBytes(rng.nextInt(1, 600));
                    how = "random bytes";
                }
                case 1 -> {
                    value = write(randomJson(0));
                    how = "random JSON";
                }
                case 2 -> {
                    value = new byte[0];
                    how = "empty";
                }
                case 3 -> {
                    value = pick(List.of("null", "true", "42", "\"text\"", "[]", "[{}]", "{}", "{\"v\":1}",
                            " ", "\uFEFF{}", "{\"v\":1,\"type\":\"Inventory\"}{}")).getBytes(StandardCharsets.UTF_8);
                    how = "not an envelope";
                }
                case 4 -> {
                    value = ("[".repeat(rng.nextInt(33, 20_000)) + "]".repeat(3)).getBytes(StandardCharsets.UTF_8);
                    how = "deep nesting";
                }
                default -> {
                    value = concat(value, codec.encode(envelope(validFor(target, host), target)));
                    how = how + ", two envelopes back to back";
                }
            }
        }
        if (rng.nextInt(50) == 0) {
            key = pick(List.of("", "\uD800", "k".repeat(10_000), "\u202Eghost", "host-1\u0000"));
            how = how + ", odd key";
        } else if (rng.nextInt(50) == 0 && target != Target.INVENTORY && target != Target.CONTROL) {
            // (The broker itself refuses a record without a key on a compacted topic: no consumer sees it.)
            key = null;
            how = how + ", no key";
        }
        if (value.length > MAX_RECORD) {
            // The producer and broker refuse records over 1 MiB before any consumer sees them.
            return next(target);
        }
        if (target == Target.COMMANDS && codec.decode(value) instanceof Decoded.Ok ok && ok.envelope().epoch() > 0) {
            // A valid command from a made-up leader epoch is a forgery: signatures (issue 8, item 2) stop those.
            return next(target);
        }
        return new Input(target, host, key, value, how);
    }

    private static final List<String> BYTE_MUTATIONS = List.of("truncate", "truncate", "flip", "flip", "insert",
            "delete", "duplicate", "replace-quote", "overlong-utf8", "invalid-utf8", "nul", "bom");

    private byte[] mutateBytes(byte[] in, String how) {
        int n = in.length;
        switch (how) {
            case "truncate": {
                return Arrays.copyOf(in, rng.nextInt(0, Math.max(1, n - 1)));
            }
            case "flip": {
                byte[] out = in.clone();
                int flips = 1 + rng.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    out[rng.nextInt(n)] ^= (byte) (1 << rng.nextInt(8));
                }
                return out;
            }
            case "insert": {
                int at = rng.nextInt(n + 1);
                return splice(in, at, at, randomBytes(rng.nextInt(1, 64)));
            }
            case "delete": {
                int a = rng.nextInt(n);
                int b = Math.min(n, a + 1 + rng.nextInt(40));
                return splice(in, a, b, new byte[0]);
            }
            case "duplicate": {
                int a = rng.nextInt(n);
                int b = Math.min(n, a + 1 + rng.nextInt(60));
                return splice(in, b, b, Arrays.copyOfRange(in, a, b));
            }
            case "replace-quote": {
                byte[] out = in.clone();
                for (int i = 0; i < out.length; i++) {
                    if (out[i] == '"' && rng.nextInt(10) == 0) {
                        out[i] = (byte) "'`\\ {[:,".charAt(rng.nextInt(8));
                    }
                }
                return out;
            }
            case "overlong-utf8": {
                int at = rng.nextInt(n + 1);
                return splice(in, at, at, new byte[]{(byte) 0xC0, (byte) 0xAF, (byte) 0xE0, (byte) 0x80, (byte) 0xAF});
            }
            case "invalid-utf8": {
                int at = rng.nextInt(n + 1);
                return splice(in, at, at, new byte[]{(byte) 0xFF, (byte) 0xFE, (byte) 0xED, (byte) 0xA0, (byte) 0x80});
            }
            case "nul": {
                byte[] out = in.clone();
                out[rng.nextInt(n)] = 0;
                return out;
            }
            default: {
                return concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, in);
            }
        }
    }

    /** One change somewhere in the tree; returns what it did. */
    private String mutateTree(JsonNode root) {
        List<Slot> slots = new ArrayList<>();
        collect(root, slots, 0);
        if (slots.isEmpty()) {
            return "nothing to mutate";
        }
        Slot s = pick(slots);
        int kind = rng.nextInt(12);
        switch (kind) {
            case 0 -> {
                s.remove();
                return "deleted " + s.name();
            }
            case 1, 2 -> {
                s.set(oddValue());
                return "retyped " + s.name();
            }
            case 3, 4 -> {
                s.set(oddNumber());
                return "number at " + s.name();
            }
            case 5, 6 -> {
                s.set(NF.textNode(oddText()));
                return "text at " + s.name();
            }
            case 7 -> {
                s.set(hugeArray());
                return "huge array at " + s.name();
            }
            case 8 -> {
                s.set(NF.textNode(RAW + pick(Arrays.asList(RAW_TOKENS))));
                return "raw token at " + s.name();
            }
            case 9 -> {
                if (s.parent() instanceof ObjectNode o) {
                    // Duplicate key: Jackson keeps the last; the consumer must still judge the result.
                    o.set(s.name() + "\u0002DUP", oddValue());
                    return "duplicate key " + s.name();
                }
                s.set(NF.nullNode());
                return "null at " + s.name();
            }
            case 10 -> {
                if (s.parent() instanceof ObjectNode o) {
                    o.set(pick(List.of("extra", "__proto__", "@class", "constructor", "v", "type", "epoch", "sig")),
                            oddValue());
                    return "added field";
                }
                ((ArrayNode) s.parent()).add(oddValue());
                return "added element";
            }
            default -> {
                s.set(nest(rng.nextInt(20, 60)));
                return "deep value at " + s.name();
            }
        }
    }

    /** A place in a JSON tree that can be replaced or removed. */
    private record Slot(JsonNode parent, String field, int index) {
        String name() {
            return field != null ? field : "[" + index + "]";
        }

        void set(JsonNode v) {
            if (parent instanceof ObjectNode o) {
                o.set(field, v);
            } else {
                ((ArrayNode) parent).set(index, v);
            }
        }

        void remove() {
            if (parent instanceof ObjectNode o) {
                o.remove(field);
            } else {
                ((ArrayNode) parent).remove(index);
            }
        }
    }

    private void collect(JsonNode node, List<Slot> out, int depth) {
        if (depth > 6) {
            return;
        }
        if (node instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String f : names) {
                out.add(new Slot(o, f, -1));
                collect(o.get(f), out, depth + 1);
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < Math.min(a.size(), 8); i++) {
                out.add(new Slot(a, null, i));
                collect(a.get(i), out, depth + 1);
            }
        }
    }

    private JsonNode oddValue() {
        return switch (rng.nextInt(9)) {
            case 0 -> NF.nullNode();
            case 1 -> NF.booleanNode(rng.nextBoolean());
            case 2 -> oddNumber();
            case 3 -> NF.textNode(oddText());
            case 4 -> NF.arrayNode();
            case 5 -> NF.objectNode();
            case 6 -> NF.arrayNode().add(oddText()).add(oddNumber());
            case 7 -> NF.objectNode().put("host", oddText()).set("x", oddNumber());
            default -> randomJson(2);
        };
    }

    private JsonNode oddNumber() {
        return switch (rng.nextInt(16)) {
            case 0 -> NF.numberNode(0);
            case 1 -> NF.numberNode(-1);
            case 2 -> NF.numberNode(Long.MAX_VALUE);
            case 3 -> NF.numberNode(Long.MIN_VALUE);
            case 4 -> NF.numberNode((long) Integer.MAX_VALUE + 1);
            case 5 -> NF.numberNode(BigInteger.TWO.pow(64).add(BigInteger.ONE));
            case 6 -> NF.numberNode(1e308);
            case 7 -> NF.numberNode(-0.0);
            case 8 -> NF.numberNode(0.5);
            case 9 -> NF.numberNode(new BigDecimal("1E+400"));
            case 10 -> NF.numberNode(4.9e-324);
            case 11 -> NF.textNode(RAW + pick(List.of("NaN", "Infinity", "-Infinity", "-NaN")));
            case 12 -> NF.textNode(pick(List.of("NaN", "1", "-5", "1e3")));
            case 13 -> NF.numberNode(-rng.nextLong(1, Long.MAX_VALUE));
            case 14 -> NF.numberNode(rng.nextDouble() * 1e6);
            default -> NF.numberNode(101);
        };
    }

    private String oddText() {
        return switch (rng.nextInt(6)) {
            case 0 -> "ghost-" + rng.nextInt(1_000_000);
            case 1 -> pick(allGuests) + (rng.nextBoolean() ? "" : "-" + rng.nextInt(1000));
            case 2 -> hugeText();
            case 3 -> randomUnicode(rng.nextInt(1, 40));
            default -> pick(Arrays.asList(ODD_TEXT));
        };
    }

    private String hugeText() {
        int len = rng.nextInt(40) == 0 ? rng.nextInt(100_000, 400_000) : rng.nextInt(4_097, 20_000);
        char c = "ax\u00e9\u4e2d".charAt(rng.nextInt(4));
        return String.valueOf(c).repeat(len);
    }

    private ArrayNode hugeArray() {
        ArrayNode a = NF.arrayNode();
        int n = rng.nextInt(40) == 0 ? rng.nextInt(10_001, 60_000) : rng.nextInt(100, 2_000);
        JsonNode element = rng.nextBoolean() ? NF.numberNode(1) : NF.textNode("x");
        for (int i = 0; i < n; i++) {
            a.add(element);
        }
        return a;
    }

    private JsonNode nest(int depth) {
        JsonNode n = NF.numberNode(1);
        for (int i = 0; i < depth; i++) {
            n = rng.nextBoolean() ? NF.arrayNode().add(n) : NF.objectNode().set("a", n);
        }
        return n;
    }

    private String randomUnicode(int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            int cp = switch (rng.nextInt(5)) {
                case 0 -> rng.nextInt(0x20, 0x7F);
                case 1 -> rng.nextInt(0, 0x20);
                case 2 -> rng.nextInt(0x80, 0x800);
                case 3 -> rng.nextInt(0xD800, 0xE000); // lone surrogates
                default -> rng.nextInt(0x10000, 0x10FFFF);
            };
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    private JsonNode randomJson(int depth) {
        int k = depth > 4 ? rng.nextInt(4) : rng.nextInt(6);
        return switch (k) {
            case 0 -> oddNumber();
            case 1 -> NF.textNode(oddText());
            case 2 -> NF.booleanNode(rng.nextBoolean());
            case 3 -> NF.nullNode();
            case 4 -> {
                ArrayNode a = NF.arrayNode();
                for (int i = rng.nextInt(5); i > 0; i--) a.add(randomJson(depth + 1));
                yield a;
            }
            default -> {
                ObjectNode o = NF.objectNode();
                for (int i = rng.nextInt(6); i > 0; i--) {
                    o.set(pick(List.of("v", "type", "id", "ts", "source", "body", "host", "guest", randomUnicode(3))),
                            randomJson(depth + 1));
                }
                yield o;
            }
        };
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) rng.nextInt(256);
        return b;
    }

    // ---------------------------------------------------------------- valid messages

    private Envelope envelope(Message body, Target target) {
        long now = System.currentTimeMillis();
        String id = freshOrRepeatedId();
        String source = target == Target.COMMANDS ? "balancer:fuzz" : pick(List.of("agent:fuzz", "operator:fuzz",
                "fuzz", "agent:ghost-9", "\u202Eoperator"));
        return new Envelope(Envelope.VERSION, id, now - rng.nextInt(0, 5_000), source, 0, "", body);
    }

    private String freshOrRepeatedId() {
        if (rng.nextInt(20) == 0) {
            return recentIds[rng.nextInt(recentIds.length)];
        }
        String id = new UUID(rng.nextLong(), rng.nextLong()).toString();
        recentIds[(int) (serial++ % recentIds.length)] = id;
        return id;
    }

    private String keyFor(Target target, Message body, String host) {
        return switch (target) {
            case INVENTORY -> body instanceof Inventory inv ? inv.facts().host() : host;
            case CONTROL -> "fuzz:" + rng.nextInt(1000);
            case COMMANDS -> "cmd-" + rng.nextInt(1000);
            default -> host;
        };
    }

    /** A host: usually the cluster's, sometimes an unknown one. */
    private String someHost() {
        int r = rng.nextInt(10);
        return r < 6 ? pick(hosts) : r < 8 ? "ghost-" + rng.nextInt(100_000) : pick(GHOSTS);
    }

    private String someGuest(String host) {
        List<String> on = guests.getOrDefault(host, List.of());
        int r = rng.nextInt(10);
        if (r < 5 && !on.isEmpty()) return pick(on);
        if (r < 7) return pick(allGuests);
        return "vm-" + rng.nextInt(100_000);
    }

    private String someId() {
        return rng.nextInt(4) == 0 ? recentIds[rng.nextInt(recentIds.length)] : new UUID(rng.nextLong(), rng.nextLong()).toString();
    }

    /** A valid message of the type {@code target} carries. */
    Message validFor(Target target, String host) {
        return switch (target) {
            case INVENTORY -> inventory(rng.nextInt(4) == 0 ? pick(GHOSTS) : host);
            case HOST_LOAD -> hostLoad(someHost());
            case DOMAIN_EVENTS -> {
                String h = someHost();
                yield new DomainEvent(h, someGuest(h), KINDS[rng.nextInt(KINDS.length)], rng.nextBoolean() ? "" : "booted");
            }
            case COMMAND_RESULTS -> commandResult(someHost());
            case CONTROL -> control();
            case COMMANDS -> command(host);
        };
    }

    private Message validOfOtherType(Target target, String host) {
        while (true) {
            Message m = anyValid(host);
            boolean belongs = FuzzRun.belongs(target, m);
            if (!belongs) {
                return m;
            }
        }
    }

    private Message anyValid(String host) {
        return switch (rng.nextInt(16)) {
            case 0 -> inventory(host);
            case 1 -> hostLoad(host);
            case 2 -> new DomainEvent(host, someGuest(host), DomainEventKind.STARTED, "");
            case 3 -> command(host);
            case 4 -> new Abort(someId(), someGuest(host), "fuzz");
            case 5 -> commandResult(host);
            case 6 -> new EnterMaintenance(someHost(), "fuzz");
            case 7 -> new ExitMaintenance(someHost());
            case 8 -> new SetAutomation(AutomationLevel.values()[rng.nextInt(3)]);
            case 9 -> new ApprovePlan(someId());
            case 10 -> requestMigration();
            case 11 -> new RequestOutcome(someId(), someGuest(host), someHost(), rng.nextBoolean(), "fuzz", System.currentTimeMillis());
            case 12 -> new MaintenanceStatus(host, MaintenanceState.ENTERING, 3, 1, List.of(someGuest(host)),
                    List.of(new BlockedGuest(someGuest(host), "pinned")), "");
            case 13 -> new PlanDecision(someId(), "fuzz", AutomationLevel.FULL, false, 0.3, 0.1,
                    List.of(new PlannedMove("", someGuest(host), host, someHost(), MigrationMode.LIVE, "fuzz", 0.9, 0.5, 0.1, 0.4, 1024)),
                    List.of());
            case 14 -> new DeadLetter("vb.inventory", 0, 7, "k", "fuzz", "{", "fuzz");
            default -> new LeaderEpoch(1 + rng.nextInt(5), "fuzz-" + rng.nextInt(9));
        };
    }

    private Inventory inventory(String host) {
        List<GuestDescriptor> list = new ArrayList<>();
        List<String> names = new ArrayList<>(guests.getOrDefault(host, List.of()));
        if (rng.nextInt(4) == 0) names.add("vm-" + rng.nextInt(1000));
        for (String g : names.stream().distinct().toList()) {
            list.add(new GuestDescriptor(g, new UUID(rng.nextLong(), rng.nextLong()).toString(), GuestState.RUNNING,
                    true, 1 + rng.nextInt(4), 512L << rng.nextInt(4), "host-model",
                    List.of(new Disk("vda", "disk", "virtio", "none", "/var/lib/libvirt/images/shared/" + g + ".qcow2",
                            "shared", false)), List.of(), false, Map.of()));
        }
        HostFacts facts = new HostFacts(host, "x86_64", "Skylake", 16, 65536, 1250, "simulated", "9.0.0", "7.2.0",
                "10.0.0.0/24", "10.0.0.1", "qemu+tcp://" + host + "/system", Map.of("rack", "r" + rng.nextInt(3)),
                List.of(new StoragePool("shared", "netfs", "/var/lib/libvirt/images/shared", "storage.sim", "/export/images", true)),
                new QemuIdentity(64055, Map.of("kvm", 994L)));
        return new Inventory(facts, list);
    }

    private HostLoad hostLoad(String host) {
        List<GuestLoad> loads = new ArrayList<>();
        int n = rng.nextInt(4);
        for (int i = 0; i < n; i++) {
            loads.add(new GuestLoad(someGuest(host) + (i > 0 && rng.nextBoolean() ? "-" + i : ""), rng.nextDouble() * 2,
                    rng.nextInt(4096), rng.nextDouble() * 100, rng.nextDouble(), rng.nextDouble()));
        }
        loads = loads.stream().collect(java.util.stream.Collectors.toMap(GuestLoad::guest, l -> l, (a, b) -> a,
                java.util.LinkedHashMap::new)).values().stream().toList();
        return new HostLoad(host, 250, rng.nextDouble() * 20, rng.nextInt(65536), rng.nextDouble() * 10, rng.nextDouble() * 10,
                loads);
    }

    private CommandResult commandResult(String host) {
        ResultStatus status = ResultStatus.values()[rng.nextInt(ResultStatus.values().length)];
        return new CommandResult(someId(), host, someGuest(host), status, rng.nextInt(101),
                status == ResultStatus.REJECTED || status == ResultStatus.FAILED ? "fuzz says no" : "",
                new MigrationStats(rng.nextInt(10_000), rng.nextInt(10_000), rng.nextInt(30), rng.nextInt(60_000),
                        rng.nextInt(500), rng.nextDouble() * 100));
    }

    private Message control() {
        return switch (rng.nextInt(7)) {
            case 0 -> new EnterMaintenance(someHost(), rng.nextBoolean() ? "" : "fuzz");
            case 1, 2 -> new ExitMaintenance(someHost());
            case 3 -> new SetAutomation(AutomationLevel.values()[rng.nextInt(3)]);
            case 4 -> new ApprovePlan(someId());
            case 5 -> requestMigration();
            default -> new RequestOutcome(someId(), pick(allGuests), someHost(), rng.nextBoolean(), "fuzz",
                    System.currentTimeMillis());
        };
    }

    private RequestMigration requestMigration() {
        String target = someHost();
        return new RequestMigration(new UUID(rng.nextLong(), rng.nextLong()).toString(), someGuest(pick(hosts)), target,
                MigrationMode.LIVE, options(), System.currentTimeMillis(), "fuzz");
    }

    private MigrationOptions options() {
        boolean persistent = rng.nextBoolean();
        return new MigrationOptions(persistent, persistent && rng.nextBoolean(), rng.nextInt(8) == 0,
                CopyStorage.values()[rng.nextInt(3)], rng.nextInt(4), "", rng.nextInt(3) * 100L, rng.nextBoolean(),
                rng.nextInt(2) * 300L, rng.nextBoolean(), false, rng.nextBoolean(), 0, 0, false);
    }

    private Message command(String source) {
        if (rng.nextInt(5) == 0) {
            return new Abort(someId(), someGuest(source), "fuzz");
        }
        String target = someHost();
        if (target.equals(source)) {
            target = hosts.stream().filter(h -> !h.equals(source)).findFirst().orElse("ghost-1");
        }
        MigrationMode mode = rng.nextInt(10) == 0 ? MigrationMode.NON_LIVE : MigrationMode.LIVE;
        long deadline = System.currentTimeMillis() + (rng.nextInt(10) == 0 ? -1_000 : 60_000);
        return new Migrate(someGuest(source), source, target, mode, options(), Math.max(1, deadline), "fuzz");
    }

    // ---------------------------------------------------------------- HTTP and CLI material

    /** A request body: {@code template} as it is, mutated, broken, or something else entirely. */
    byte[] body(ObjectNode template) {
        int r = rng.nextInt(12);
        if (r < 3) {
            return write(template);
        }
        if (r < 8) {
            JsonNode t = template.deepCopy();
            for (int i = 1 + rng.nextInt(3); i > 0; i--) {
                mutateTree(t);
            }
            return write(t);
        }
        if (r < 10) {
            return mutateBytes(write(template), pick(BYTE_MUTATIONS));
        }
        if (r < 11) {
            return write(randomJson(0));
        }
        return rng.nextBoolean() ? new byte[0] : ("{\"reason\":\"" + "x".repeat(rng.nextInt(10_000, 40_000)) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A path segment, query value or argument: a cluster name, an unknown one, or hostile text. */
    String word() {
        int r = rng.nextInt(10);
        if (r < 3) return pick(hosts);
        if (r < 5) return pick(allGuests);
        if (r < 6) return "ghost-" + rng.nextInt(1000);
        return oddText();
    }

    /** A short hostile text, never huge: for places where size is not the point. */
    String shortWord() {
        String w = word();
        return w.length() > 300 ? w.substring(0, 300) : w;
    }

    /** A number as text: negative, zero, overflowing, fractional, NaN, or not a number. */
    String numberText() {
        return pick(List.of("0", "-1", "1", "3", "65536", "2147483648", "9223372036854775807", "9223372036854775808",
                "-9223372036854775809", "1e400", "NaN", "-0", "1.5", "0x10", "", " 1", "１", "1_000", "99999999999999999999999"));
    }

    /** A duration as vbal reads them: good, negative, zero, overflowing or unreadable. */
    String durationText() {
        return pick(List.of("1s", "2s", "500ms", "0", "0s", "-5m", "PT1S", "P9999999999D", "1h", "999999999999h",
                "9223372036854775807ms", "1.5s", "s", "", "NaN", "1e9s", "10 s", "1m30s", "\u0661s"));
    }

    // ---------------------------------------------------------------- helpers

    <T> T pick(List<T> list) {
        return list.get(rng.nextInt(list.size()));
    }

    private static JsonNode readTree(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Serialises, splicing in raw tokens and duplicate keys that a tree cannot hold. */
    byte[] write(JsonNode tree) {
        String text;
        try {
            text = (rng.nextBoolean() ? ESCAPING : JSON).writeValueAsString(tree);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        if (text.contains("\\u0001RAW:")) {
            java.util.regex.Matcher m = RAW_SLOT.matcher(text);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement(m.group(1).replace("\\\"", "\"")));
            }
            m.appendTail(sb);
            text = sb.toString();
        }
        if (text.contains("\\u0002DUP")) {
            text = text.replace("\\u0002DUP", "");
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static final java.util.regex.Pattern RAW_SLOT =
            java.util.regex.Pattern.compile("\"\\\\u0001RAW:((?:[^\"\\\\]|\\\\.)*)\"");

    private static byte[] splice(byte[] in, int from, int to, byte[] with) {
        byte[] out = new byte[in.length - (to - from) + with.length];
        System.arraycopy(in, 0, out, 0, from);
        System.arraycopy(with, 0, out, from, with.length);
        System.arraycopy(in, to, out, from + with.length, in.length - to);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return splice(a, a.length, a.length, b);
    }
}
