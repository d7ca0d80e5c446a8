package org.virtbalancer.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodecTest {
    private final Codec codec = new Codec();

    static HostFacts facts(String host) {
        return new HostFacts(host, "x86_64", "EPYC", 32, 131072, 1190, "simulated", "9.0.0", "7.2.0", "10.0.0.0/24",
                "10.0.0.1", "qemu+tcp://10.0.0.1/system", Map.of("rack", "r1"),
                List.of(new StoragePool("default", "dir", "/var/lib/libvirt/images", "", "", true),
                        new StoragePool("shared", "netfs", "/var/lib/libvirt/images/shared", "nfs.example", "/export/images", false)),
                new QemuIdentity(64055, Map.of("kvm", 994L, "libvirt", 995L, "libvirt-qemu", 64055L)));
    }

    private static String inventoryJson(String extraFacts) {
        return "{\"v\":1,\"type\":\"Inventory\",\"id\":\"x\",\"ts\":5,\"source\":\"agent:host-1\",\"body\":{\"facts\":"
                + "{\"host\":\"host-1\",\"arch\":\"x86_64\",\"cpus\":4,\"memoryMiB\":8192,\"linkMiBps\":1250" + extraFacts + "},"
                + "\"guests\":[]}}";
    }

    static GuestDescriptor guest(String name, GuestState state) {
        return new GuestDescriptor(name, "6f1c1c1e-0000-4000-8000-000000000001", state, true, 2, 4096, "custom",
                List.of(new Disk("vda", "disk", "virtio", "none", "/var/lib/libvirt/images/" + name + ".qcow2", "default", false)),
                List.of(), false, Map.of());
    }

    static Stream<Message> everyMessage() {
        return Stream.of(
                new Inventory(facts("host-1"), List.of(guest("web-1", GuestState.RUNNING), guest("db-1", GuestState.PAUSED))),
                new HostLoad("host-1", 10_000, 12.5, 65536, 3.2, 1.1, List.of(new GuestLoad("web-1", 1.5, 4000, 12, 1, 0.5))),
                new DomainEvent("host-1", "web-1", DomainEventKind.MIGRATED_OUT, "migrated"),
                new Migrate("web-1", "host-1", "host-2", MigrationMode.LIVE, MigrationOptions.move(), 1_800_000_000_000L, "overload"),
                new Abort("c-1", "web-1", "stale plan"),
                new CommandResult("c-1", "host-1", "web-1", ResultStatus.PROGRESS, 42, "",
                        new MigrationStats(1024, 2048, 2, 1500, 0, 35.5)),
                new EnterMaintenance("host-3", "firmware update"),
                new ExitMaintenance("host-3"),
                new SetAutomation(AutomationLevel.PARTIAL),
                new ApprovePlan("plan-7"),
                new RequestMigration("r-1", "web-1", "host-2", MigrationMode.LIVE, new VirshMigrate(true, false, true, true,
                        false, false, false, true, 4, 100, "", false, true, false, 30, false).options(), 1_800_000_000_000L,
                        "vbal on ops-1"),
                new RequestOutcome("r-1", "web-1", "host-2", false, "web-1 cannot go to host-2: disk on local storage",
                        1_800_000_000_000L),
                new MaintenanceStatus("host-3", MaintenanceState.ENTERING, 12, 5, List.of("web-1"),
                        List.of(new BlockedGuest("db-9", "pinned")), "5 of 12 guests left"),
                new PlanDecision("plan-7", "overload host-1", AutomationLevel.FULL, true, 0.21, 0.09,
                        List.of(new PlannedMove("c-1", "web-1", "host-1", "host-2", MigrationMode.LIVE, "frees 1.5 cores",
                                0.97, 0.81, 0.30, 0.35, 4096)), List.of()),
                new DeadLetter("vb.control", 0, 17, "host-3", "body.host: is required but missing", "{}", "balancer:b1"),
                new LeaderEpoch(3, "b2"));
    }

    @Test
    void everyMessageTypeHasAnExample() {
        Set<Class<?>> covered = everyMessage().map(Object::getClass).collect(Collectors.toSet());
        Set<Class<?>> all = Arrays.stream(MessageType.values()).map(MessageType::bodyType).collect(Collectors.toSet());
        assertEquals(all, covered);
    }

    @ParameterizedTest
    @MethodSource("everyMessage")
    void roundTripsEveryMessageType(Message body) {
        Envelope env = new Envelope(1, "id-1", 1_764_115_200_000L, "test", 3, "", body);
        Decoded decoded = codec.decode(codec.encode(env));
        assertEquals(new Decoded.Ok(env), decoded);
    }

    @Test
    void acceptsTheHandWrittenMaintenanceLineFromTheReadme() {
        String json = "{\"v\":1,\"type\":\"EnterMaintenance\",\"id\":\"op-0001\",\"ts\":1764115200000,"
                + "\"source\":\"operator:alice\",\"body\":{\"host\":\"host-3\"}}";
        Decoded d = codec.decode(json);
        Envelope env = assertInstanceOf(Decoded.Ok.class, d).envelope();
        assertEquals(new EnterMaintenance("host-3", ""), env.body());
    }

    @Test
    void hostFactsWithoutPoolsOrQemuIdentityFromOlderAgentsDecodeAsUnknown() {
        Envelope env = assertInstanceOf(Decoded.Ok.class, codec.decode(inventoryJson(""))).envelope();
        HostFacts facts = assertInstanceOf(Inventory.class, env.body()).facts();
        assertEquals(List.of(), facts.pools());
        assertEquals(QemuIdentity.UNKNOWN, facts.qemu());
        assertEquals(-1, facts.qemu().uid());
        assertEquals(Map.of(), facts.qemu().gids());
    }

    @Test
    void hostFactsCarryPoolsAndQemuIdentity() {
        Envelope env = new Envelope(1, "id-1", 1_764_115_200_000L, "test", 0, "",
                new Inventory(facts("host-1"), List.of()));
        String json = codec.encodeToString(env);
        assertTrue(json.contains("\"pools\":[{\"name\":\"default\",\"type\":\"dir\""), json);
        HostFacts back = assertInstanceOf(Inventory.class, assertInstanceOf(Decoded.Ok.class, codec.decode(json)).envelope().body()).facts();
        assertEquals(facts("host-1").pools(), back.pools());
        assertEquals(64055, back.qemu().uid());
        assertEquals(Map.of("kvm", 994L, "libvirt", 995L, "libvirt-qemu", 64055L), back.qemu().gids());
    }

    static Stream<String[]> badInput() {
        String ok = "{\"v\":1,\"type\":\"HostLoad\",\"id\":\"x\",\"ts\":5,\"source\":\"s\",\"body\":%s}";
        String load = "{\"host\":\"host-1\",\"intervalMs\":1000,\"cpuCores\":%s,\"memoryMiB\":1,\"netMiBps\":0,\"diskMiBps\":0,\"guests\":[]}";
        return Stream.of(
                new String[]{"{not json", "not valid JSON"},
                new String[]{"[1,2]", "expected a JSON object"},
                new String[]{"{\"v\":2,\"type\":\"HostLoad\",\"id\":\"x\",\"ts\":5,\"source\":\"s\",\"body\":{}}", "v: version 2 is not supported"},
                new String[]{"{\"v\":1,\"type\":\"Reboot\",\"id\":\"x\",\"ts\":5,\"source\":\"s\",\"body\":{}}", "type: unknown message type 'Reboot'"},
                new String[]{"{\"v\":1,\"type\":\"HostLoad\",\"ts\":5,\"source\":\"s\",\"body\":{}}", "id: is required but missing"},
                new String[]{"{\"v\":1,\"type\":\"HostLoad\",\"id\":\"x\",\"ts\":\"soon\",\"source\":\"s\",\"body\":{}}", "ts: must be a whole number"},
                new String[]{String.format(ok, String.format(load, "-1")), "body.cpuCores: must not be negative"},
                new String[]{String.format(ok, String.format(load, "\"NaN\"")), "body.cpuCores"},
                // Finite but absurd: squared in the imbalance it would be infinite, and stop the balancer deciding.
                new String[]{String.format(ok, String.format(load, "1e308")), "body.cpuCores: must be at most"},
                // Found by fuzzing: numbers and booleans were taken as text, so hosts named "0.5" or "false" joined the cluster.
                new String[]{String.format(ok, String.format(load, "1").replace("\"host-1\"", "0.5")),
                        "body.host: has the wrong type: expected a string"},
                new String[]{String.format(ok, String.format(load, "1").replace("\"host-1\"", "18446744073709551617")),
                        "body.host: has the wrong type: expected a string"},
                new String[]{"{\"v\":1,\"type\":\"EnterMaintenance\",\"id\":\"x\",\"ts\":5,\"source\":\"s\",\"body\":{\"host\":false}}",
                        "body.host: has the wrong type: expected a string"},
                new String[]{String.format(ok, String.format(load, "1").replace("\"memoryMiB\":1", "\"memoryMiB\":9223372036854775807")),
                        "body.memoryMiB: must be at most"},
                new String[]{String.format(ok, "{\"host\":\"host-1\"}"), "body.intervalMs"},
                new String[]{String.format(ok, String.format(load, "1").replace("\"cpuCores\":1,", "")),
                        "body.cpuCores: is required but missing"},
                new String[]{String.format(ok, String.format(load, "1").replace("\"guests\":[]",
                        "\"guests\":[{\"guest\":\"g\",\"cpuCores\":1,\"memoryMiB\":-5,\"dirtyRateMiBps\":0,\"netMiBps\":0,\"diskMiBps\":0}]")),
                        "body.guests[0].memoryMiB: must not be negative"},
                new String[]{"{\"v\":1,\"type\":\"EnterMaintenance\",\"id\":\"x\",\"ts\":5,\"source\":\"s\",\"body\":{\"host\":\"../etc; rm\"}}",
                        "body.host: '../etc; rm' is not a valid name"},
                new String[]{"{\"v\":1,\"type\":\"SetAutomation\",\"id\":\"x\",\"ts\":5,\"source\":\"s\",\"body\":{\"level\":\"YOLO\"}}",
                        "body.level: 'YOLO' is not one of MANUAL, PARTIAL, FULL"},
                new String[]{"{\"v\":1,\"type\":\"Migrate\",\"id\":\"x\",\"ts\":5,\"source\":\"s\",\"body\":{\"guest\":\"g\",\"source\":\"a\",\"target\":\"b\","
                        + "\"mode\":\"OFFLINE\",\"options\":{\"persistent\":false,\"undefineSource\":false,\"suspendOnTarget\":false,"
                        + "\"parallelConnections\":0,\"bandwidthMiBps\":0,\"unsafe\":false,\"maxDowntimeMs\":0,\"autoConverge\":false,"
                        + "\"postCopy\":false,\"compressed\":false,\"abortAfterS\":0,\"timeoutS\":0,\"timeoutPostCopy\":false},\"deadlineTs\":9,\"reason\":\"\"}}",
                        "body.options.persistent: offline migration requires persistent"},
                new String[]{inventoryJson(",\"pools\":[{\"name\":\"default\",\"type\":\"dir\",\"active\":true},"
                        + "{\"name\":\"default\",\"type\":\"netfs\",\"active\":true}]"), "body.facts.pools: lists pool 'default' twice"},
                new String[]{inventoryJson(",\"pools\":[{\"name\":\"a b\",\"type\":\"dir\",\"active\":true}]"),
                        "body.facts.pools[0].name: 'a b' is not a valid name"},
                new String[]{inventoryJson(",\"pools\":[{\"name\":\"default\",\"type\":\"dir\"}]"),
                        "body.facts.pools[0].active"},
                new String[]{inventoryJson(",\"qemu\":{\"uid\":-7,\"gids\":{}}"), "body.facts.qemu.uid: must be between -1"},
                new String[]{inventoryJson(",\"qemu\":{\"uid\":0,\"gids\":{\"kvm\":-1}}"), "body.facts.qemu.gids.kvm: must be between 0"},
                new String[]{"{\"v\":1,\"type\":\"ExitMaintenance\",\"id\":\"x\",\"ts\":5,\"source\":\"s\",\"body\":"
                        + "[".repeat(100) + "]".repeat(100) + "}", "not valid JSON"});
    }

    @ParameterizedTest
    @MethodSource("badInput")
    void rejectsBadInputWithAReasonNamingTheField(String input, String expected) {
        Decoded d = codec.decode(input);
        String reason = assertInstanceOf(Decoded.Rejected.class, d).reason();
        assertTrue(reason.contains(expected), () -> "reason was: " + reason);
    }

    @Test
    void rejectsOversizePayloadsBeforeParsing() {
        byte[] big = ("{\"v\":1,\"pad\":\"" + "x".repeat(Codec.MAX_BYTES) + "\"}").getBytes(StandardCharsets.UTF_8);
        String reason = assertInstanceOf(Decoded.Rejected.class, codec.decode(big)).reason();
        assertTrue(reason.contains("at most " + Codec.MAX_BYTES), reason);
    }

    @Test
    void rejectsEmptyPayloads() {
        assertInstanceOf(Decoded.Rejected.class, codec.decode(new byte[0]));
        assertInstanceOf(Decoded.Rejected.class, codec.decode((byte[]) null));
    }
}
