package org.virtbalancer.deploy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every operator command of {@code vbal} against one real cluster: a balancer with its HTTP API
 * (reads need the token, as on a management network) and simulated agents, talking through the
 * real broker. The balancer is in manual automation, so the cluster holds still while it is read;
 * the tests that change it (approve, automation) run after those that only read it.
 */
@ExtendWith(Broker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorCliTest {
    private static final String TOKEN = "operator-cli-test-token-0123";
    private static final Pattern HOST_ROW = Pattern.compile(
            "(host-\\d)\\s+(ACTIVE|ENTERING|IN_MAINTENANCE)\\s+\\d+\\s+\\d+\\s+(\\d+)\\s+(\\d+)\\s*(\\S*)");
    private final ObjectMapper json = new ObjectMapper();
    private ClusterFixture fx;
    private InProcessVbal vbal;

    /** The {@link HotHostScenario}, host-1 with a slow migration link so that each move takes seconds. */
    @BeforeAll
    void start(EmbeddedKafka broker) throws Exception {
        SimulatedFabric fabric = HotHostScenario.fabric(HotHostScenario.host("host-1").withLinkMiBps(300)).build();
        fx = new ClusterFixture(broker, fabric, ClusterFixture.testSettings().withAutomation(AutomationLevel.MANUAL),
                new ApiEndpoint("127.0.0.1", 0, TOKEN, false));
        Path tokenFile = Files.createTempFile("vb-api-token", "");
        Files.writeString(tokenFile, TOKEN + "\n");
        vbal = InProcessVbal.against(fx).withTokenFile(tokenFile);
        HotHostScenario.settle(fx);
        await().atMost(Duration.ofSeconds(30)).until(() -> !fx.cluster.balancer().snapshot().recommendations().isEmpty());
    }

    @AfterAll
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    @Test
    @Order(1)
    void statusShowsTheBalancerAndTheClusterInFigures() throws Exception {
        InProcessVbal.Run text = vbal.run("status");
        assertEquals(0, text.exit(), text.all());
        List<String> lines = text.out().lines().toList();
        assertTrue(lines.get(0).matches("balancer {4}t1, LEADER \\(leader epoch \\d+\\); .+"), lines.get(0));
        assertEquals("automation  manual", lines.get(1));
        assertEquals("hosts       4: 1 overloaded, 0 stale, 1 in maintenance", lines.get(2));
        assertEquals("guests      10", lines.get(3));
        assertEquals("migrations  0 in flight; 0 issued, 0 succeeded, 0 failed", lines.get(4));
        assertTrue(lines.get(5).matches("imbalance {3}0\\.\\d{3}"), lines.get(5));
        assertTrue(lines.get(6).matches("approvals {3}\\d+ plans? waiting: vbal recommendations"), lines.get(6));
        assertTrue(lines.get(7).matches("as of {7}\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d"), lines.get(7));
        assertEquals("", text.err());

        InProcessVbal.Run raw = vbal.run("status", "--json");
        assertEquals(0, raw.exit(), raw.all());
        JsonNode s = json.readTree(raw.out());
        assertEquals("t1", s.get("balancer").get("id").asText());
        assertEquals("manual", s.get("automation").asText());
        assertEquals(4, s.get("hosts").asInt());
        assertEquals(1, s.get("hostsOverloaded").asInt());
        assertEquals(1, s.get("hostsInMaintenance").asInt());
        assertEquals(10, s.get("guests").asInt());
        assertTrue(raw.out().startsWith("{\n  \"balancer\""), "the API's JSON as it came: " + raw.out());
    }

    @Test
    @Order(2)
    void hostsListsEveryHostAlignedWithStateLoadGuestsAndFlags() throws Exception {
        InProcessVbal.Run text = vbal.run("hosts");
        assertEquals(0, text.exit(), text.all());
        List<String> lines = text.out().lines().toList();
        String header = lines.get(0);
        assertTrue(header.matches("HOST +STATE +CPU% +MEM% +GUESTS +RUNNING +FLAGS"), header);
        Map<String, Matcher> rows = new java.util.TreeMap<>();
        for (String line : lines.subList(1, 5)) {
            Matcher m = HOST_ROW.matcher(line);
            assertTrue(m.matches(), line);
            rows.put(m.group(1), m);
            // Aligned: states start under STATE, guest counts end under GUESTS.
            assertEquals(header.indexOf("STATE"), m.start(2), line);
            assertEquals(header.indexOf("GUESTS") + "GUESTS".length(), m.end(3), line);
        }
        assertEquals(List.of("host-1", "host-2", "host-3", "host-4"), List.copyOf(rows.keySet()));
        assertEquals("overloaded", rows.get("host-1").group(5));
        assertEquals("8", rows.get("host-1").group(3));
        assertEquals("IN_MAINTENANCE", rows.get("host-4").group(2));
        assertEquals("0", rows.get("host-4").group(3));
        assertEquals("", rows.get("host-2").group(5));
        assertEquals("4 hosts: 1 overloaded, 0 stale, 1 in maintenance", lines.get(5));

        InProcessVbal.Run raw = vbal.run("hosts", "--json");
        assertEquals(0, raw.exit(), raw.all());
        JsonNode hosts = json.readTree(raw.out());
        assertEquals(List.of("host-1", "host-2", "host-3", "host-4"), names(hosts, "host"));
        assertTrue(hosts.get(0).get("overloaded").asBoolean());
        assertTrue(hosts.get(0).get("cpuLoad").asDouble() > 0.85, hosts.get(0).toString());

        InProcessVbal.Run one = vbal.run("hosts", "host-1");
        assertEquals(0, one.exit(), one.all());
        List<String> detail = one.out().lines().toList();
        assertTrue(HOST_ROW.matcher(detail.get(1)).matches(), detail.get(1));
        assertTrue(detail.get(2).matches("8 CPUs, 32\\.0 GiB for guests; expected CPU \\d+%; network \\d+\\.\\d MiB/s"
                + " \\(\\d+% of its migration link\\), disk \\d+\\.\\d MiB/s"), detail.get(2));
        assertTrue(detail.get(4).matches("GUEST\\s+STATE\\s+VCPUS\\s+MEMORY\\s+CPU\\s+EXPECTED\\s+FLAGS"), detail.get(4));
        assertEquals(8, detail.stream().filter(l -> l.matches("hot-\\d\\s+RUNNING\\s+1\\s+2\\.0 GiB\\s+0\\.9\\d\\s+.*"))
                .count(), one.out());

        JsonNode drained = json.readTree(vbal.run("hosts", "host-4", "--json").out());
        assertEquals("IN_MAINTENANCE", drained.get("maintenance").get("state").asText());
        assertEquals(0, drained.get("guests").size());
        assertTrue(vbal.run("hosts", "host-4").out().lines()
                .anyMatch(l -> l.matches("host-4 +IN_MAINTENANCE +\\[#{30}] 0/0 moved")), "its drain is shown");

        InProcessVbal.Run unknown = vbal.run("hosts", "host-9");
        assertEquals(6, unknown.exit(), unknown.all());
        assertOneError(unknown, "error: no host host-9 is known to the balancer");
    }

    @Test
    @Order(3)
    void guestsListsEveryGuestOrOneHostsGuests() throws Exception {
        InProcessVbal.Run all = vbal.run("guests");
        assertEquals(0, all.exit(), all.all());
        List<String> lines = all.out().lines().toList();
        assertTrue(lines.get(0).matches("GUEST +HOST +STATE +VCPUS +MEMORY +CPU +EXPECTED +FLAGS"), lines.get(0));
        assertEquals(10, lines.stream().filter(l -> l.matches("(hot|calm)-\\d +host-\\d +RUNNING +1 +2\\.0 GiB +\\d\\.\\d\\d"
                + " +\\d\\.\\d\\d")).count(), all.out());
        assertEquals("10 guests: 10 running, 0 migrating", lines.get(lines.size() - 1));

        InProcessVbal.Run one = vbal.run("guests", "--host", "host-2");
        assertEquals(0, one.exit(), one.all());
        assertTrue(one.out().lines().toList().get(1).matches("calm-2 +RUNNING +1 +2\\.0 GiB +0\\.5\\d +0\\.\\d\\d"),
                one.out());

        JsonNode raw = json.readTree(vbal.run("guests", "--host", "host-3", "--json").out());
        assertEquals(List.of("calm-3"), names(raw, "guest"));
        assertEquals("no guests on host-4", vbal.run("guests", "--host", "host-4").out().strip());

        InProcessVbal.Run unknown = vbal.run("guests", "--host", "host-9");
        assertEquals(6, unknown.exit(), unknown.all());
        assertOneError(unknown, "error: no host host-9 is known to the balancer");
        InProcessVbal.Run bad = vbal.run("guests", "--host", "host 2");
        assertEquals(2, bad.exit(), bad.all());
        assertOneError(bad, "error: --host: 'host 2' is not a valid name");
    }

    @Test
    @Order(4)
    void maintenanceStatusReadsTheDecisionsTopicAsTextOrJson() throws Exception {
        InProcessVbal.Run drained = vbal.run("maintenance", "status", "host-4", "--json");
        assertEquals(0, drained.exit(), drained.all());
        JsonNode s = json.readTree(drained.out());
        assertEquals("host-4", s.get("host").asText());
        assertEquals("IN_MAINTENANCE", s.get("state").asText());
        assertEquals(0, s.get("remaining").asInt());

        JsonNode never = json.readTree(vbal.run("maintenance", "status", "host-2", "--json").out());
        assertEquals(json.readTree("{\"host\": \"host-2\", \"state\": \"ACTIVE\"}"), never,
                "the shape GET /api/maintenance/HOST answers for a host never in maintenance");
        String text = vbal.run("maintenance", "status", "host-4").out();
        assertTrue(text.lines().findFirst().orElse("").matches("host-4 +IN_MAINTENANCE +\\[#{30}] 0/0 moved"), text);
    }

    @Test
    @Order(5)
    void approveRunsARecommendedPlanAndWaitsForItsMigrationsWhileMigrationsShowsThemMoving() throws Exception {
        assertEquals("no migrations in flight (vbal migrations --recent lists the latest that ended)",
                vbal.run("migrations").out().strip());
        assertEquals("no migration has ended yet", vbal.run("migrations", "--recent").out().strip());

        InProcessVbal.Run listed = vbal.run("recommendations");
        assertEquals(0, listed.exit(), listed.all());
        List<String> lines = listed.out().lines().toList();
        assertTrue(lines.get(0).matches("plan [0-9a-f-]{36} \\((overload host-1|imbalance .+), balancing\\): \\d moves?,"
                + " expires in \\d+m \\d\\ds"), lines.get(0));
        assertTrue(lines.get(1).matches("  hot-\\d host-1 → host-[23]: .+"), lines.get(1));
        assertEquals("run one with: vbal approve PLAN [--wait]", lines.get(lines.size() - 1));
        JsonNode plans = json.readTree(vbal.run("recommendations", "--json").out());
        JsonNode plan = plans.get(plans.size() - 1);
        String id = plan.get("planId").asText();
        Set<String> guests = StreamSupport.stream(plan.get("moves").spliterator(), false)
                .map(m -> m.get("guest").asText()).collect(Collectors.toSet());

        // As from two terminals: one approves and waits, the other watches the migrations move.
        CompletableFuture<InProcessVbal.Run> approve = CompletableFuture.supplyAsync(
                () -> vbal.run("approve", id, "--wait", "--timeout", "2m"));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            InProcessVbal.Run moving = vbal.run("migrations");
            assertEquals(0, moving.exit(), moving.all());
            List<String> rows = moving.out().lines().toList();
            assertTrue(rows.get(0).matches("GUEST +FROM +TO +MODE +PROGRESS +RUNNING +REASON"), moving.out());
            assertTrue(rows.stream().anyMatch(r -> r.matches("hot-\\d +host-1 +host-[23] +live +\\[[#.]{10}] +\\d+% +\\d+s"
                    + " +host-1 .+")), moving.out());
        });
        InProcessVbal.Run approved = approve.get();
        assertEquals(0, approved.exit(), approved.all());
        List<String> out = approved.out().lines().toList();
        assertEquals("sent ApprovePlan for plan " + id + " (message " + out.get(0).replaceAll(".*message (.*)\\)", "$1")
                + ")", out.get(0));
        assertEquals("plan " + id + " ran: " + guests.size() + " migration" + (guests.size() == 1 ? "" : "s")
                + " issued", out.get(1));
        assertTrue(out.stream().anyMatch(l -> l.matches("  hot-\\d host-1 → host-[23]  \\[#{10}] 100% succeeded")),
                approved.out());
        assertEquals("plan " + id + " done: " + guests.size() + " migration" + (guests.size() == 1 ? "" : "s")
                + " succeeded", out.get(out.size() - 1));

        InProcessVbal.Run recent = vbal.run("migrations", "--recent");
        assertEquals(0, recent.exit(), recent.all());
        List<String> ended = recent.out().lines().toList();
        assertTrue(ended.get(0).matches("GUEST +FROM +TO +MODE +PURPOSE +RESULT +TOOK +ENDED +DETAIL"), recent.out());
        for (String guest : guests) {
            assertTrue(ended.stream().anyMatch(l -> l.matches(guest + " +host-1 +host-[23] +live +balancing +SUCCEEDED"
                    + " +\\d+s +\\d\\d:\\d\\d:\\d\\d +host-1 .+")), recent.out());
        }
        JsonNode migrations = json.readTree(vbal.run("migrations", "--recent", "--json").out());
        assertEquals(guests, StreamSupport.stream(migrations.get("recent").spliterator(), false)
                .map(m -> m.get("guest").asText()).collect(Collectors.toSet()));

        InProcessVbal.Run again = vbal.run("approve", id);
        assertEquals(6, again.exit(), again.all());
        assertOneError(again, "error: plan " + id + " has already run (");
        InProcessVbal.Run unknown = vbal.run("approve", "no-such-plan");
        assertEquals(6, unknown.exit(), unknown.all());
        assertOneError(unknown, "error: no plan no-such-plan was recommended in the last 10m 00s; vbal recommendations"
                + " lists the plans waiting for approval");
    }

    @Test
    @Order(6)
    void automationGetShowsTheLevelAndSetWaitsUntilTheBalancerReportsIt() throws Exception {
        assertEquals("manual: every plan is recommended and waits for vbal approve", vbal.run("automation", "get").out().strip());

        InProcessVbal.Run set = vbal.run("automation", "set", "Partial", "--wait", "--timeout", "30s");
        assertEquals(0, set.exit(), set.all());
        List<String> lines = set.out().lines().toList();
        assertTrue(lines.get(0).matches("sent SetAutomation partial \\(message [0-9a-f-]{36}\\)"), lines.get(0));
        assertEquals("automation is partial: maintenance drains run; balancing plans wait for vbal approve", lines.get(1));
        assertEquals("partial", json.readTree(vbal.run("automation", "get", "--json").out()).get("level").asText());
        assertEquals(AutomationLevel.PARTIAL, fx.cluster.balancer().snapshot().automation());

        assertEquals(0, vbal.run("automation", "set", "manual", "--wait").exit());
        assertEquals(AutomationLevel.MANUAL, fx.cluster.balancer().snapshot().automation());
    }

    @Test
    @Order(7)
    void badArgumentsGetOneUsageLineAndAHintWithExitTwo() {
        InProcessVbal.Run bogus = vbal.run("hosts", "--bogus");
        assertEquals(2, bogus.exit(), bogus.all());
        assertEquals(List.of("error: Unknown option: '--bogus'", "hint: vbal hosts --help lists what it takes, with examples"),
                bogus.err().lines().toList());
        assertEquals("", bogus.out());

        Map<List<String>, String> bad = Map.of(
                List.of(), "error: vbal needs one of its commands: ",
                List.of("automation"), "error: vbal automation needs one of its commands: get, set",
                List.of("hsts"), "error: vbal takes no command or argument 'hsts'",
                List.of("approve"), "error: Missing required parameter: 'PLAN'",
                List.of("approve", "plan;rm"), "error: PLAN: 'plan;rm' is not a valid name",
                List.of("automation", "set", "sideways"), "error: Invalid value for positional parameter at index 0"
                        + " (LEVEL): 'sideways' is not an automation level; choose one of manual, partial, full",
                List.of("migrations", "--recent", "extra"), "error: vbal migrations takes no argument 'extra'",
                List.of("maintenance", "enter", "host-1", "--wait", "--timeout", "soon"),
                "error: Invalid value for option '--timeout': 'soon' is not a duration",
                List.of("status", "--api", "ftp://127.0.0.1"), "error: the API address ftp://127.0.0.1 is not an http://");
        Map<List<String>, String> badMigrations = Map.of(
                List.of("migrate", "hot-1", "--to", "host-2", "--live", "--undefinesource"), "error: --undefinesource"
                        + " without --persistent is refused: the target would get only a transient copy and the source's"
                        + " definition would be removed, so both definitions are lost once the guest shuts down",
                List.of("migrate", "hot-1", "--to", "host-2", "--offline"), "error: --offline moves only the definition,"
                        + " so it needs --persistent",
                List.of("migrate", "hot-1", "--live"), "error: Missing required option: '--to=HOST'");
        Map<List<String>, String> all = new java.util.HashMap<>(bad);
        all.putAll(badMigrations);
        all.forEach((args, error) -> {
            InProcessVbal.Run run = vbal.run(args.toArray(String[]::new));
            assertEquals(2, run.exit(), args + ": " + run.all());
            assertTrue(run.err().startsWith(error), args + ": " + run.all());
            assertNoStackTrace(run);
        });

        InProcessVbal.Run noToken = new InProcessVbal(null, null, fx.apiUrl(), null).run("hosts");
        assertEquals(2, noToken.exit(), noToken.all());
        assertOneError(noToken, "error: the balancer API at " + fx.apiUrl() + " wants a token for reads: pass"
                + " --api-token-file FILE (or set VB_API_TOKEN)");
    }

    @Test
    @Order(8)
    void anUnreachableApiIsExitFiveForEveryRead() {
        for (List<String> args : List.of(List.of("status"), List.of("hosts"), List.of("hosts", "host-1"), List.of("guests"),
                List.of("migrations"), List.of("recommendations"), List.of("plan"), List.of("explain", "hot-1"),
                List.of("automation", "get"))) {
            List<String> all = new ArrayList<>(args);
            all.addAll(List.of("--api", "http://127.0.0.1:1"));
            InProcessVbal.Run run = vbal.run(all.toArray(String[]::new));
            assertEquals(5, run.exit(), args + ": " + run.all());
            assertOneError(run, "error: cannot reach the balancer API at http://127.0.0.1:1: start the demo");
        }
    }

    @Test
    @Order(9)
    void anUnreachableBrokerIsExitFiveWithinSecondsForEveryKafkaCommand() throws Exception {
        InProcessVbal closed = new InProcessVbal("127.0.0.1:1", "vb.", null, null);
        List<List<String>> commands = List.of(List.of("maintenance", "status", "host-1"),
                List.of("maintenance", "enter", "host-1"), List.of("approve", "some-plan"),
                List.of("automation", "set", "full"), List.of("migrate", "hot-1", "--to", "host-2", "--live"));
        // Each waits for the broker on its own, as from separate terminals.
        List<CompletableFuture<InProcessVbal.Run>> runs = commands.stream()
                .map(args -> CompletableFuture.supplyAsync(() -> closed.run(args.toArray(String[]::new)))).toList();
        for (int i = 0; i < commands.size(); i++) {
            InProcessVbal.Run run = runs.get(i).get();
            assertEquals(5, run.exit(), commands.get(i) + ": " + run.all());
            assertOneError(run, "error: cannot reach Kafka at 127.0.0.1:1 within 10 s: start the demo");
            assertTrue(run.millis() < 30_000, commands.get(i) + " took " + run.millis() + " ms");
        }

        InProcessVbal.Run noTopics = vbal.run("maintenance", "status", "host-1", "--bootstrap",
                fx.kafka.bootstrapServers(), "--prefix", "nobody.");
        assertEquals(5, noTopics.exit(), noTopics.all());
        assertOneError(noTopics, "error: Kafka at " + fx.kafka.bootstrapServers() + " has no topic nobody.decisions: no"
                + " balancer has run there with topic prefix nobody.; check --prefix");
    }

    @Test
    @Order(10)
    void migrateMovesOneGuestWithVirshsOptionsAndProgressOrRefusesItWithEveryFailingRule() throws Exception {
        String guest = fx.fabric.guests("host-1").stream().filter(g -> g.state() == GuestState.RUNNING).findFirst()
                .orElseThrow().name();
        JsonNode where = json.readTree(vbal.run("explain", guest, "--json").out());
        String target = StreamSupport.stream(where.get("hosts").spliterator(), false)
                .filter(h -> h.get("eligible").asBoolean()).findFirst().orElseThrow().get("host").asText();

        InProcessVbal.Run refused = vbal.run("migrate", guest, "--to", "host-4", "--live", "--persistent", "--undefinesource");
        assertEquals(1, refused.exit(), refused.all());
        assertTrue(refused.err().startsWith("error: refused: " + guest + " cannot migrate to host-4: 1 rule fails: in"
                + " maintenance (host-4 is in maintenance"), refused.all());
        assertEquals(Optional.of("host-1"), fx.fabric.hostOf(guest), "nothing moved");

        InProcessVbal.Run moved = vbal.run("migrate", guest, "--to", target, "--live", "--persistent", "--undefinesource",
                "--verbose");
        assertEquals(0, moved.exit(), moved.all());
        List<String> lines = moved.out().lines().toList();
        assertTrue(lines.get(0).matches("requested: migrate " + guest + " to " + target + " --live --persistent"
                + " --undefinesource \\(request [0-9a-f-]{36}\\)"), lines.get(0));
        assertTrue(lines.get(1).startsWith("started: " + guest + " live migration from host-1 to " + target), lines.get(1));
        List<String> progress = lines.stream().filter(l -> l.startsWith("Migration: [")).toList();
        assertTrue(progress.stream().anyMatch(l -> l.matches("Migration: \\[ {0,2}\\d{1,2} %]")), "progress as virsh"
                + " shows it: " + moved.out());
        assertEquals("Migration: [100 %]", progress.get(progress.size() - 1));
        assertTrue(lines.get(lines.size() - 1).matches("migrated " + guest + " to " + target + " in \\d+\\.\\d s"),
                moved.out());
        GuestDescriptor there = fx.fabric.guest(target, guest).orElseThrow();
        assertEquals(GuestState.RUNNING, there.state());
        assertTrue(there.persistent(), "--persistent: defined on the target");
        assertEquals(Optional.empty(), fx.fabric.guest("host-1", guest), "--undefinesource: gone from the source");

        // Without --persistent, as virsh: a transient copy runs on the target, the source keeps its definition.
        InProcessVbal.Run transientMove = vbal.run("migrate", guest, "--to", "host-1", "--live");
        assertEquals(0, transientMove.exit(), transientMove.all());
        assertFalse(fx.fabric.guest("host-1", guest).orElseThrow().persistent(), "a transient copy on the target");
        assertEquals(GuestState.SHUTOFF, fx.fabric.guest(target, guest).orElseThrow().state());
        assertTrue(fx.fabric.guest(target, guest).orElseThrow().persistent(), "the source keeps its definition");
    }

    private static void assertOneError(InProcessVbal.Run run, String start) {
        assertTrue(run.err().startsWith(start), run.all());
        assertEquals(1, run.err().lines().count(), "one sentence: " + run.all());
        assertEquals("", run.out(), run.all());
        assertNoStackTrace(run);
    }

    private static void assertNoStackTrace(InProcessVbal.Run run) {
        assertFalse(run.err().contains("\tat ") || run.err().contains("Exception"), run.all());
    }

    private static List<String> names(JsonNode array, String field) {
        return StreamSupport.stream(array.spliterator(), false).map(n -> n.get(field).asText()).toList();
    }
}
