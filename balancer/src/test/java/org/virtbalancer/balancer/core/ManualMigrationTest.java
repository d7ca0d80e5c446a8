package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.protocol.RequestOutcome;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.VirshMigrate;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.migrations;
import static org.virtbalancer.balancer.Fixtures.plans;
import static org.virtbalancer.balancer.Fixtures.result;

/** An operator's {@code vbal migrate}: checked by every rule, run by the executor, answered once. */
class ManualMigrationTest {
    private static final VirshMigrate MOVE = virsh(true, false, true, true, false);

    private static VirshMigrate virsh(boolean live, boolean offline, boolean persistent, boolean undefine, boolean unsafe) {
        return new VirshMigrate(live, offline, persistent, undefine, false, false, false, false, 0, 0, "", unsafe, false,
                false, 0, false);
    }

    private static TestCluster cluster(GuestDescriptor... onH1) {
        TestCluster c = new TestCluster(BalancerSettings.defaults().withLimits(1, 1, 1));
        c.host("h1", 1, onH1).host("h2", 1).host("h3", 1);
        c.sampleAll(1);
        return c;
    }

    private static RequestMigration request(TestCluster c, String id, String guest, String target, VirshMigrate v) {
        return new RequestMigration(id, guest, target, v.mode(), v.options(), c.clock.millis(), "vbal on ops-1");
    }

    private static List<RequestOutcome> outcomes(List<Action> actions) {
        return actions.stream().filter(a -> a instanceof Action.SendControl).map(a -> (RequestOutcome) ((Action.SendControl) a)
                .message()).toList();
    }

    @Test
    void aRequestThatPassesEveryRuleRunsUnderItsOwnIdAndIsAnsweredOnce() {
        TestCluster c = cluster(guest("web", GuestState.RUNNING));
        c.core.onControl(request(c, "r1", "web", "h2", MOVE));
        assertEquals(RequestStatus.State.WAITING, c.core.requestStatus("r1").orElseThrow().state());

        List<Action> actions = c.tick();
        Action.SendMigrate sent = migrations(actions).get(0);
        assertEquals("r1", sent.commandId());
        assertEquals("h1", sent.migrate().source());
        assertEquals("h2", sent.migrate().target());
        assertEquals(MigrationMode.LIVE, sent.migrate().mode());
        assertTrue(sent.migrate().options().persistent() && sent.migrate().options().undefineSource());
        assertEquals("requested by vbal on ops-1", sent.migrate().reason());
        RequestOutcome answer = outcomes(actions).get(0);
        assertTrue(answer.accepted());
        assertEquals(RequestStatus.State.RUNNING, c.core.requestStatus("r1").orElseThrow().state());

        c.core.onCommandResult(result(sent, ResultStatus.SUCCEEDED, "migrated"));
        RequestStatus done = c.core.requestStatus("r1").orElseThrow();
        assertEquals(RequestStatus.State.SUCCEEDED, done.state());
        assertEquals(100, done.percent());
        assertEquals("h2", c.core.snapshot().guests().stream().filter(g -> g.guest().equals("web")).findFirst()
                .orElseThrow().host());
        // The leader's own answer, read back from the control topic, changes nothing.
        c.core.onControl(answer);
        assertEquals(List.of(), migrations(c.tick()));
    }

    @Test
    void aFailingRuleRefusesWithEveryReasonCountedAndNothingRuns() {
        GuestDescriptor big = guest("big", GuestState.RUNNING, 4096, Map.of());
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 1, big).host(org.virtbalancer.balancer.Fixtures.host("arm", "aarch64", "9.0.0", "10.0.0.0/24"), 1);
        c.core.onControl(new org.virtbalancer.protocol.EnterMaintenance("arm", ""));
        c.sampleAll(1);
        c.core.onControl(request(c, "r2", "big", "arm", MOVE));
        List<Action> actions = c.tick();
        assertEquals(List.of(), migrations(actions));
        RequestOutcome refused = outcomes(actions).get(0);
        assertFalse(refused.accepted());
        assertTrue(refused.reason().startsWith("big cannot migrate to arm: 2 rules fail: "), refused.reason());
        assertTrue(refused.reason().contains("aarch64"), refused.reason());
        assertTrue(refused.reason().contains("maintenance"), refused.reason());
        PlanDecision decision = plans(actions).get(0);
        assertEquals("r2", decision.planId());
        assertFalse(decision.executed());
        assertEquals(List.of(refused.reason()), decision.notMoved());
        RequestStatus status = c.core.requestStatus("r2").orElseThrow();
        assertEquals(RequestStatus.State.REFUSED, status.state());
        assertEquals(refused.reason(), status.reason());
        assertEquals(List.of(), migrations(c.tick()), "a refused request is not tried again");
    }

    @Test
    void aShutOffGuestCannotMoveLiveButMovesOffline() {
        TestCluster c = cluster(guest("off", GuestState.SHUTOFF));
        c.core.onControl(request(c, "live", "off", "h2", MOVE));
        RequestOutcome refused = outcomes(c.tick()).get(0);
        assertFalse(refused.accepted());
        assertTrue(refused.reason().contains("only an offline migration can move it"), refused.reason());

        c.core.onControl(request(c, "offline", "off", "h2", virsh(false, true, true, true, false)));
        Action.SendMigrate sent = migrations(c.tick()).get(0);
        assertEquals(MigrationMode.OFFLINE, sent.migrate().mode());
    }

    @Test
    void aRunningGuestCannotMoveOffline() {
        TestCluster c = cluster(guest("web", GuestState.RUNNING));
        c.core.onControl(request(c, "r", "web", "h2", virsh(false, true, true, true, false)));
        RequestOutcome refused = outcomes(c.tick()).get(0);
        assertTrue(refused.reason().contains("offline migration is only for shut-off guests"), refused.reason());
    }

    @Test
    void unsafeAllowsAnotherCacheModeButNoFlagSkipsAHardRule() {
        GuestDescriptor cached = new GuestDescriptor("db", "uuid-db", GuestState.RUNNING, true, 2, 2048, "custom",
                List.of(new Disk("vda", "disk", "virtio", "writeback", "/var/lib/libvirt/images/shared/db.qcow2",
                        "shared", false)), List.of(), false, Map.of());
        TestCluster c = cluster(cached);
        c.core.onControl(request(c, "safe", "db", "h2", MOVE));
        assertTrue(outcomes(c.tick()).get(0).reason().contains("cache mode writeback"));
        c.core.onControl(request(c, "unsafe", "db", "h2", virsh(true, false, true, true, true)));
        assertEquals("unsafe", migrations(c.tick()).get(0).commandId());

        GuestDescriptor passthrough = new GuestDescriptor("gpu", "uuid-gpu", GuestState.RUNNING, true, 2, 2048, "custom",
                List.of(), List.of("pci 0000:01:00.0"), false, Map.of());
        TestCluster d = cluster(passthrough);
        d.core.onControl(request(d, "gpu", "gpu", "h2", virsh(true, false, true, true, true)));
        RequestOutcome refused = outcomes(d.tick()).get(0);
        assertFalse(refused.accepted(), "--unsafe does not let a passthrough device migrate live");
    }

    @Test
    void aBusyTargetOnlyWarnsForAnOperatorsMoveButMemoryStillRefuses() {
        TestCluster c = cluster(guest("web", GuestState.RUNNING), guest("huge", GuestState.RUNNING, 64 * 1024, Map.of()));
        c.reports("h2", org.virtbalancer.balancer.Fixtures.CPUS).reports("h1", 2, Map.of("web", 2.0));
        c.sampleAll(3);
        org.virtbalancer.balancer.plan.Explanation busy = c.core.explain("web", java.util.Optional.of("h2"), MigrationMode.LIVE,
                MOVE.options());
        assertTrue(busy.hosts().get(0).eligible(), busy.summary());
        assertTrue(busy.hosts().get(0).warnings().stream().anyMatch(w -> w.contains("would share too few CPUs")),
                busy.hosts().get(0).warnings().toString());
        c.core.onControl(request(c, "busy", "web", "h2", MOVE));
        assertEquals("busy", migrations(c.tick()).get(0).commandId());

        c.core.onControl(request(c, "huge", "huge", "h3", MOVE));
        RequestOutcome refused = outcomes(c.tick()).get(0);
        assertTrue(refused.reason().contains("would exceed memory"), refused.reason());
    }

    @Test
    void aRequestWaitsForAFreeSlotAndIsDroppedAfterTenMinutes() {
        TestCluster c = cluster(guest("a", GuestState.RUNNING), guest("b", GuestState.RUNNING), guest("x", GuestState.RUNNING));
        c.core.onControl(request(c, "ra", "a", "h2", MOVE));
        c.core.onControl(request(c, "rb", "b", "h3", MOVE));
        List<Action> first = c.tick();
        assertEquals(List.of("ra"), migrations(first).stream().map(Action.SendMigrate::commandId).toList());
        RequestStatus waiting = c.core.requestStatus("rb").orElseThrow();
        assertEquals(RequestStatus.State.WAITING, waiting.state());
        assertTrue(waiting.reason().startsWith("waits for a free migration slot"), waiting.reason());

        c.core.onCommandResult(result(migrations(first).get(0), ResultStatus.SUCCEEDED, "migrated"));
        assertEquals(List.of("rb"), migrations(c.tick()).stream().map(Action.SendMigrate::commandId).toList());

        c.core.onControl(request(c, "rx", "x", "h3", MOVE));
        assertEquals(List.of(), migrations(c.tick()), "rb still holds the only slot");
        // A request written more than ten minutes ago (e.g. read back by a new leader) that still finds no slot:
        c.core.onControl(new RequestMigration("old", "x", "h2", MOVE.mode(), MOVE.options(),
                c.clock.millis() - RequestMigration.TTL_MS - 1, "vbal on ops-1"));
        RequestOutcome dropped = outcomes(c.tick()).get(0);
        assertEquals("old", dropped.requestId());
        assertEquals(RequestStatus.State.WAITING, c.core.requestStatus("rx").orElseThrow().state());
        assertTrue(dropped.reason().startsWith("dropped: it waited more than 10 minutes"), dropped.reason());
    }

    @Test
    void aFollowerNeverRunsARequestTheLeaderAnsweredOrIssued() {
        TestCluster c = cluster(guest("a", GuestState.RUNNING), guest("b", GuestState.RUNNING));
        RequestMigration refused = request(c, "r-refused", "a", "h2", MOVE);
        c.core.onControl(refused);
        c.core.onControl(new RequestOutcome("r-refused", "a", "h2", false, "a cannot migrate to h2: ...", c.clock.millis()));
        RequestMigration issued = request(c, "r-issued", "b", "h3", MOVE);
        c.core.onControl(issued);
        c.core.onCommandObserved("r-issued", new org.virtbalancer.protocol.Migrate("b", "h1", "h3", MigrationMode.LIVE,
                issued.options(), c.clock.millis() + 60_000, "requested"), c.clock.millis());
        // This follower becomes leader: neither request runs again.
        List<Action> actions = c.tick();
        assertEquals(List.of(), migrations(actions));
        assertEquals(List.of(), outcomes(actions));
        // A request replayed from the control topic after its answer is ignored as well.
        c.core.onControl(refused);
        assertEquals(List.of(), outcomes(c.tick()));
    }

    @Test
    void explainWithTheRequestedOptionsTellsWhichHostsPassAndWhyNotTheOthers() {
        TestCluster c = cluster(guest("off", GuestState.SHUTOFF));
        c.core.onControl(new org.virtbalancer.protocol.EnterMaintenance("h3", ""));
        org.virtbalancer.balancer.plan.Explanation offline = c.core.explain("off", java.util.Optional.empty(),
                MigrationMode.OFFLINE, virsh(false, true, true, true, false).options());
        assertEquals(1, offline.eligibleHosts());
        assertTrue(offline.summary().startsWith("1/2"), offline.summary());
        org.virtbalancer.balancer.plan.Explanation live = c.core.explain("off", java.util.Optional.empty(),
                MigrationMode.LIVE, MOVE.options());
        assertEquals(0, live.eligibleHosts());
    }
}
