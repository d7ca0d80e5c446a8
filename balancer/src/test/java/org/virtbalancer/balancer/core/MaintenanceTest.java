package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.BlockedGuest;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.migrations;
import static org.virtbalancer.balancer.Fixtures.result;
import static org.virtbalancer.balancer.Fixtures.statuses;

class MaintenanceTest {
    private static final BalancerSettings WIDE = BalancerSettings.defaults().withLimits(8, 8, 8);

    private static MaintenanceStatus statusOf(List<Action> actions, String host) {
        return statuses(actions).stream().filter(s -> s.host().equals(host)).reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void evacuatesRunningPausedAndShutOffGuestsEachTheRightWayAndNeverOntoAnEnteringHost() {
        TestCluster c = new TestCluster(WIDE);
        GuestDescriptor transientOff = guest("gone", GuestState.SHUTOFF).withPersistent(false);
        c.host("h1", 4, guest("run", GuestState.RUNNING), guest("pz", GuestState.PAUSED), guest("off", GuestState.SHUTOFF),
                guest("dead", GuestState.CRASHED), transientOff, guest("db", GuestState.RUNNING, 4096, Map.of("vb.pinned", "true")));
        c.host("h2", 1);
        c.host("h3", 1, guest("anchor", GuestState.RUNNING, 1024, Map.of("vb.pinned", "true")));
        c.reports("h1", 4, guestLoad("run", 1), guestLoad("db", 1));
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h3", "firmware"));
        c.core.onControl(new EnterMaintenance("h1", "kernel update"));

        List<Action> actions = c.tick();
        Map<String, Migrate> byGuest = migrations(actions).stream().map(Action.SendMigrate::migrate)
                .collect(Collectors.toMap(Migrate::guest, Function.identity()));
        assertEquals(java.util.Set.of("run", "pz", "off"), byGuest.keySet());
        byGuest.values().forEach(m -> assertEquals("h2", m.target(), "h3 is entering maintenance itself"));

        Migrate run = byGuest.get("run");
        assertEquals(MigrationMode.LIVE, run.mode());
        assertTrue(run.options().persistent() && run.options().undefineSource() && !run.options().suspendOnTarget());
        Migrate pz = byGuest.get("pz");
        assertEquals(MigrationMode.LIVE, pz.mode());
        assertTrue(pz.options().suspendOnTarget() && pz.options().persistent() && pz.options().undefineSource());
        Migrate off = byGuest.get("off");
        assertEquals(MigrationMode.OFFLINE, off.mode());
        assertTrue(off.options().persistent() && off.options().undefineSource());

        MaintenanceStatus h1 = statusOf(actions, "h1");
        assertEquals(MaintenanceState.ENTERING, h1.state());
        assertEquals(6, h1.total());
        assertEquals(List.of("off", "pz", "run"), h1.migrating());
        Map<String, String> blocked = h1.blocked().stream().collect(Collectors.toMap(BlockedGuest::guest, BlockedGuest::reason));
        assertEquals(java.util.Set.of("dead", "gone", "db"), blocked.keySet());
        assertTrue(blocked.get("dead").contains("has crashed"), blocked.get("dead"));
        assertTrue(blocked.get("gone").contains("transient"), blocked.get("gone"));
        assertTrue(blocked.get("db").contains("is pinned"), blocked.get("db"));
        assertTrue(blocked.get("db").startsWith("0/2 hosts can take db"), blocked.get("db"));
        assertTrue(h1.message().startsWith("draining h1: 6 of 6 guests left, 3 migrating, 3 blocked"), h1.message());

        MaintenanceStatus h3 = statusOf(actions, "h3");
        assertEquals(MaintenanceState.ENTERING, h3.state());
        assertEquals("anchor", h3.blocked().get(0).guest());
    }

    @Test
    void reachesInMaintenanceWhenEmptyAndExitMaintenanceReturnsItToService() {
        TestCluster c = new TestCluster(WIDE);
        c.host("h1", 2, guest("a", GuestState.RUNNING), guest("b", GuestState.RUNNING)).host("h2", 1).host("h3", 1);
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h1", ""));
        assertEquals(MaintenanceState.ENTERING, c.core.snapshot().hosts().get(0).maintenance(), "at once, before a tick");

        List<Action> first = c.tick();
        List<Action.SendMigrate> sent = migrations(first);
        assertEquals(2, sent.size());
        assertEquals(MaintenanceState.ENTERING, statusOf(first, "h1").state());
        assertEquals(List.of(), statuses(c.tick()), "nothing changed, and 5 s have not passed");
        c.clock.advance(Duration.ofSeconds(5));
        assertEquals(1, statuses(c.tick()).size(), "republished every 5 s while draining");

        c.core.onCommandResult(result(sent.get(0), ResultStatus.SUCCEEDED, ""));
        MaintenanceStatus oneLeft = statusOf(c.tick(), "h1");
        assertEquals(1, oneLeft.remaining());
        c.core.onCommandResult(result(sent.get(1), ResultStatus.SUCCEEDED, ""));
        MaintenanceStatus done = statusOf(c.tick(), "h1");
        assertEquals(MaintenanceState.IN_MAINTENANCE, done.state());
        assertEquals(0, done.remaining());
        assertEquals(2, done.total());

        c.core.onControl(new ExitMaintenance("h1"));
        MaintenanceStatus back = statusOf(c.tick(), "h1");
        assertEquals(MaintenanceState.ACTIVE, back.state());
        assertEquals(MaintenanceState.ACTIVE, c.core.snapshot().hosts().get(0).maintenance());
    }

    @Test
    void drainsIgnoreCooldownsButRespectConcurrencyLimits() {
        TestCluster c = new TestCluster(BalancerSettings.defaults().withLimits(2, 8, 8));
        c.host("h1", 2, guest("a", GuestState.RUNNING), guest("b", GuestState.RUNNING), guest("c", GuestState.RUNNING))
                .host("h2", 1).host("h3", 1);
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h1", ""));
        List<Action.SendMigrate> first = migrations(c.tick());
        assertEquals(2, first.size(), "two per source");
        c.core.onCommandResult(result(first.get(0), ResultStatus.SUCCEEDED, ""));
        // The guest just moved is cooling down on h2; draining h2 must move it anyway.
        c.core.onControl(new EnterMaintenance("h2", ""));
        List<Action.SendMigrate> second = migrations(c.tick());
        assertTrue(second.stream().anyMatch(m -> m.migrate().guest().equals(first.get(0).migrate().guest())
                && m.migrate().source().equals("h2") && m.migrate().target().equals("h3")), second.toString());
        assertFalse(second.stream().anyMatch(m -> m.migrate().target().equals("h2")));
    }

    @Test
    void aGuestThatWouldNotConvergeLiveLeavesWithAutoConverge() {
        TestCluster c = new TestCluster(WIDE);
        c.host("h1", 2, guest("hot", GuestState.RUNNING, 8192, Map.of())).host("h2", 1);
        c.reports("h1", 2, guestLoad("hot", 1, 900));
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h1", ""));
        Migrate m = migrations(c.tick()).get(0).migrate();
        assertEquals(MigrationMode.LIVE, m.mode());
        assertTrue(m.options().autoConverge());
        assertTrue(m.reason().contains("live with auto-converge"), m.reason());
    }

    @Test
    void aFailedDrainMoveIsRetriedElsewhereAndReportedBlockedAfterMaxAttempts() {
        TestCluster c = new TestCluster(WIDE.withMaxAttemptsPerGuest(2));
        c.host("h1", 2, guest("a", GuestState.RUNNING)).host("h2", 1).host("h3", 1).host("h4", 1);
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h1", ""));
        Action.SendMigrate first = migrations(c.tick()).get(0);
        c.core.onCommandResult(result(first, ResultStatus.FAILED, "disk image not found on target"));
        Action.SendMigrate second = migrations(c.tick()).get(0);
        assertFalse(second.migrate().target().equals(first.migrate().target()));
        c.core.onCommandResult(result(second, ResultStatus.FAILED, "disk image not found on target"));
        List<Action> third = c.tick();
        assertEquals(List.of(), migrations(third));
        BlockedGuest blocked = statusOf(third, "h1").blocked().get(0);
        assertTrue(blocked.reason().contains("failed to migrate 2 times"), blocked.reason());
        assertTrue(blocked.reason().contains("disk image not found on target"), blocked.reason());
    }

    @Test
    void maintenanceOfAnUnknownHostIsRecordedAndSaysSo() {
        TestCluster c = new TestCluster(WIDE);
        c.host("h2", 1);
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("ghost", ""));
        MaintenanceStatus s = statusOf(c.tick(), "ghost");
        assertEquals(MaintenanceState.ENTERING, s.state());
        assertTrue(s.message().contains("not a known host"), s.message());

        c.host("ghost", 1, guest("x", GuestState.RUNNING));
        c.sampleAll(1);
        assertEquals("h2", migrations(c.tick()).get(0).migrate().target(), "the drain starts once it reports");
    }

    @Test
    void aHostBackInServiceLeavesNoDrainBehindOnceItsReturnIsPublished() {
        TestCluster c = new TestCluster(WIDE);
        c.host("h1", 1).host("h2", 1);
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h1", ""));
        assertEquals(MaintenanceState.IN_MAINTENANCE, statusOf(c.tick(), "h1").state());
        c.core.onControl(new ExitMaintenance("h1"));
        assertEquals(MaintenanceState.ACTIVE, statusOf(c.tick(), "h1").state(), "the return is published");
        assertEquals(List.of(), c.core.snapshot().maintenance(), "and the drain is gone");
        assertEquals(List.of(), statuses(c.tick()));
        c.core.onControl(new EnterMaintenance("h1", "again"));
        assertEquals(MaintenanceState.IN_MAINTENANCE, statusOf(c.tick(), "h1").state(), "a new drain when asked again");
    }

    @Test
    void controlNamingEverNewUnknownHostsIsRefusedBeyondABound() {
        TestCluster c = new TestCluster(WIDE);
        c.host("h1", 1);
        c.sampleAll(1);
        for (int i = 0; i < BalancerCore.MAX_UNKNOWN_DRAINS; i++) {
            assertEquals(java.util.Optional.empty(), c.core.onControl(new EnterMaintenance("ghost-" + i, "")));
        }
        java.util.Optional<String> refused = c.core.onControl(new EnterMaintenance("ghost-x", ""));
        assertTrue(refused.isPresent() && refused.get().contains("ghost-x") && refused.get().contains("sent no inventory"),
                refused.toString());
        assertEquals(java.util.Optional.empty(), c.core.onControl(new EnterMaintenance("h1", "")), "known hosts still may");
        assertEquals(java.util.Optional.empty(), c.core.onControl(new EnterMaintenance("ghost-7", "again")),
                "one already waiting still may");
        c.tick();
        assertEquals(BalancerCore.MAX_UNKNOWN_DRAINS + 1, c.core.snapshot().maintenance().size());
        // Returned to service, they are forgotten, and make room again.
        for (int i = 0; i < 10; i++) {
            c.core.onControl(new ExitMaintenance("ghost-" + i));
        }
        c.tick();
        c.tick();
        assertEquals(java.util.Optional.empty(), c.core.onControl(new EnterMaintenance("ghost-x", "")));
    }
}
