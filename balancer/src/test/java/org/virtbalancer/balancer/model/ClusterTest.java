package org.virtbalancer.balancer.model;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.DomainEventKind;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.host;
import static org.virtbalancer.balancer.Fixtures.load;

class ClusterTest {
    private final Cluster cluster = new Cluster();
    private long now = 1_000_000;

    private List<String> names(String host) {
        return cluster.guestsOn(host).stream().map(Guest::name).toList();
    }

    @Test
    void anInventoryReplacesTheHostsGuestList() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("a", GuestState.RUNNING), guest("b", GuestState.RUNNING))), now);
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("b", GuestState.PAUSED))), now);
        assertEquals(List.of("b"), names("h1"));
        assertEquals(GuestState.PAUSED, cluster.guest("h1", "b").orElseThrow().state());
    }

    @Test
    void aStaleSourceInventoryDoesNotUndoACompletedMove() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("web", GuestState.RUNNING))), now);
        cluster.applyInventory(new Inventory(host("h2"), List.of()), now);
        cluster.completeMove("web", "h1", "h2", GuestState.RUNNING, now);
        assertEquals(List.of("web"), names("h2"));

        // Both inventories were written before the migration finished and arrive after its result.
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("web", GuestState.RUNNING))), now + 1000);
        cluster.applyInventory(new Inventory(host("h2"), List.of()), now + 2000);
        assertEquals(List.of(), names("h1"), "the result outranks the older source inventory");
        assertEquals(List.of("web"), names("h2"), "the result outranks the older target inventory");
        assertEquals("h2", cluster.findGuest("web").orElseThrow().host());
    }

    @Test
    void inventoriesWrittenBeforeAMoveEndedStillDoNotUndoIt() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("web", GuestState.RUNNING))), now, now);
        cluster.applyInventory(new Inventory(host("h2"), List.of()), now, now);
        long ended = now + 10_000;
        cluster.completeMove("web", "h1", "h2", GuestState.RUNNING, ended + 100, ended);
        // Written a moment before the result, read after it.
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("web", GuestState.RUNNING))), ended + 2_000, ended - 500);
        cluster.applyInventory(new Inventory(host("h2"), List.of()), ended + 2_000, ended - 400);
        assertEquals(List.of(), names("h1"));
        assertEquals(List.of("web"), names("h2"));
    }

    @Test
    void aResultReadAgainAfterNewerInventoriesDoesNotPutTheGuestBackWhereItNoLongerIs() {
        // A balancer starting up re-reads the topics; inventories and results come in any order between them.
        // web went h1 -> h2 at t+1 s, then h2 -> h3 at t+20 s; every host listed its guests again at t+30 s.
        long t = now;
        Cluster rebuilt = new Cluster();
        rebuilt.applyInventory(new Inventory(host("h1"), List.of(guest("web", GuestState.RUNNING))), t + 40_000, t);
        rebuilt.applyInventory(new Inventory(host("h2"), List.of()), t + 40_000, t + 30_000);
        rebuilt.applyInventory(new Inventory(host("h3"), List.of(guest("web", GuestState.RUNNING))), t + 40_000, t + 30_000);
        rebuilt.completeMove("web", "h1", "h2", GuestState.RUNNING, t + 40_000, t + 1_000);
        rebuilt.completeMove("web", "h2", "h3", GuestState.RUNNING, t + 40_000, t + 20_000);
        rebuilt.applyInventory(new Inventory(host("h1"), List.of()), t + 40_000, t + 30_000);
        rebuilt.applyInventory(new Inventory(host("h2"), List.of()), t + 45_000, t + 35_000);
        assertEquals(List.of(), rebuilt.guestsOn("h1").stream().map(Guest::name).toList());
        assertEquals(List.of(), rebuilt.guestsOn("h2").stream().map(Guest::name).toList(), "web left h2 at t+20 s");
        assertEquals(List.of("web"), rebuilt.guestsOn("h3").stream().map(Guest::name).toList());
        assertEquals("h3", rebuilt.findGuest("web").orElseThrow().host());
    }

    @Test
    void inventoriesWinAgainOnceTheSettleWindowHasPassed() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("web", GuestState.RUNNING))), now);
        cluster.applyInventory(new Inventory(host("h2"), List.of()), now);
        cluster.completeMove("web", "h1", "h2", GuestState.RUNNING, now);
        long later = now + Cluster.SETTLE.toMillis() + 1;
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("web", GuestState.RUNNING))), later);
        cluster.applyInventory(new Inventory(host("h2"), List.of()), later);
        assertEquals(List.of("web"), names("h1"));
        assertEquals(List.of(), names("h2"));
    }

    @Test
    void memoryLoadIsTheAllocationOfActiveGuestsOrTheReportedUseIfLarger() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("a", GuestState.RUNNING, 16_384, java.util.Map.of()),
                guest("off", GuestState.SHUTOFF, 16_384, java.util.Map.of()))), now);
        cluster.applySample(load("h1", 4, guestLoad("a", 3)), now);
        Utilisation u = cluster.utilisation("h1").orElseThrow();
        assertEquals(0.25, u.memory(), 1e-9, "only the running guest's 16 GiB of 64 GiB count");
        assertEquals(0.25, u.cpu(), 1e-9);
        cluster.applySample(new org.virtbalancer.protocol.HostLoad("h1", 10_000, 4, 40_000, 0, 0, List.of()), now);
        assertEquals(40_000 / 65_536.0, cluster.utilisation("h1").orElseThrow().memory(), 1e-9);
    }

    @Test
    void domainEventsKeepGuestStatesCurrent() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("a", GuestState.RUNNING))), now);
        cluster.applyEvent(new DomainEvent("h1", "a", DomainEventKind.SUSPENDED, ""));
        assertEquals(GuestState.PAUSED, cluster.guest("h1", "a").orElseThrow().state());
        cluster.applyEvent(new DomainEvent("h1", "a", DomainEventKind.STOPPED, ""));
        assertEquals(GuestState.SHUTOFF, cluster.guest("h1", "a").orElseThrow().state());
        cluster.applyEvent(new DomainEvent("h1", "a", DomainEventKind.UNDEFINED, ""));
        assertTrue(cluster.guest("h1", "a").isEmpty());
    }

    @Test
    void guestCpuIsSmoothedButEstimatedConservatively() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("a", GuestState.RUNNING))), now);
        cluster.applySample(load("h1", 4, guestLoad("a", 1.0)), now);
        cluster.applySample(load("h1", 4, guestLoad("a", 3.0)), now);
        Guest a = cluster.guest("h1", "a").orElseThrow();
        assertEquals(1.6, a.usage().smoothedCores(), 1e-9);
        assertEquals(3.0, a.cpuCores(), 1e-9, "the larger of smoothed and last sample");
    }

    @Test
    void samplesUpdateEachListedGuestWhateverTheOrderAndWhicheverHostReportsIt() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("a", GuestState.RUNNING), guest("b", GuestState.RUNNING))), now);
        cluster.applyInventory(new Inventory(host("h2"), List.of()), now);
        cluster.applySample(load("h1", 3, guestLoad("a", 1.0), guestLoad("b", 2.0)), now);
        cluster.applySample(load("h1", 3, guestLoad("b", 3.0), guestLoad("a", 1.0)), now + 10_000);
        cluster.applySample(load("h1", 3, guestLoad("a", 1.0)), now + 20_000);
        double w = 1 - Math.exp(-10_000.0 / Duration.ofMinutes(90).toMillis());
        assertEquals(new GuestUsage(1.0, 1.0, 10, 3, 0, 1.0), cluster.guest("h1", "a").orElseThrow().usage());
        assertEquals(new GuestUsage(0.3 * 3.0 + 0.7 * 2.0, 3.0, 10, 2, w * 1.0 * 1.0, w * 3.0 + (1 - w) * 2.0),
                cluster.guest("h1", "b").orElseThrow().usage());
        // A guest's usage follows it by name: h2 reporting it (mid-migration) continues the same series.
        cluster.applySample(load("h2", 1, guestLoad("a", 2.0)), now + 30_000);
        cluster.applySample(load("h1", 3, guestLoad("b", 3.0)), now + 30_000);
        assertEquals(new GuestUsage(0.3 * 2.0 + 0.7 * 1.0, 2.0, 10, 4, w * 1.0 * 1.0, w * 2.0 + (1 - w) * 1.0),
                cluster.guest("h1", "a").orElseThrow().usage());
        assertEquals(3, cluster.guest("h1", "b").orElseThrow().usage().samples());
    }

    @Test
    void expectedCpuIsTheLongMeanSoASpikeHardlyMovesIt() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("a", GuestState.RUNNING), guest("b", GuestState.RUNNING))), now);
        for (int i = 0; i < 600; i++) {
            cluster.applySample(load("h1", 3.5, guestLoad("a", 1.0), guestLoad("b", 2.0)), now + i * 10_000L);
        }
        // a spikes to 4 cores for one 10 s sample: its estimate now is 4, its expected use stays near 1.
        cluster.applySample(load("h1", 6.5, guestLoad("a", 4.0), guestLoad("b", 2.0)), now + 6_000_000L);
        Guest a = cluster.guest("h1", "a").orElseThrow();
        assertEquals(4.0, a.cpuCores(), 1e-9);
        assertEquals(1.0, a.expectedCores(), 0.01);
        // The host: 6.5 cores now; expected is the sample with each guest's use replaced by its expected use
        // (0.5 cores of its own, 1.0 for a, 2.0 for b).
        Utilisation u = cluster.utilisation("h1").orElseThrow();
        assertEquals(6.5, u.cpuCores(), 1e-9);
        assertEquals(3.5, u.expectedCores(), 0.01);
    }

    @Test
    void expectedCpuWeighsSamplesByTheirIntervalSoSamplingRatesAgree() {
        Cluster tenSeconds = new Cluster(Duration.ofMinutes(30));
        Cluster oneMinute = new Cluster(Duration.ofMinutes(30));
        for (Cluster c : List.of(tenSeconds, oneMinute)) {
            c.applyInventory(new Inventory(host("h1"), List.of(guest("a", GuestState.RUNNING))), now);
        }
        tenSeconds.applySample(new HostLoad("h1", 10_000, 1, 0, 0, 0, List.of(guestLoad("a", 1.0))), now);
        oneMinute.applySample(new HostLoad("h1", 60_000, 1, 0, 0, 0, List.of(guestLoad("a", 1.0))), now);
        for (int minute = 1; minute <= 20; minute++) {
            for (int s = 0; s < 6; s++) {
                tenSeconds.applySample(new HostLoad("h1", 10_000, 3, 0, 0, 0, List.of(guestLoad("a", 3.0))), now);
            }
            oneMinute.applySample(new HostLoad("h1", 60_000, 3, 0, 0, 0, List.of(guestLoad("a", 3.0))), now);
        }
        double expected = 3 - 2 * Math.exp(-20.0 / 30);
        assertEquals(expected, tenSeconds.guest("h1", "a").orElseThrow().expectedCores(), 1e-9);
        assertEquals(expected, oneMinute.guest("h1", "a").orElseThrow().expectedCores(), 1e-9);
    }

    @Test
    void aForecastWindowOfZeroIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Cluster(Duration.ZERO));
        assertTrue(e.getMessage().contains("forecast window"), e.getMessage());
    }

    @Test
    void samplesNamingEverChangingGuestsDoNotMakeItsMemoryGrow() {
        cluster.applyInventory(new Inventory(host("h1"), List.of(guest("web", GuestState.RUNNING))), now);
        // A hostile (or very long-lived) host-load topic: every sample names guests never seen before.
        for (int i = 0; i < 50_000; i++) {
            cluster.applySample(load("h1", 1, guestLoad("web", 0.5), guestLoad("made-up-" + i, 0.1)), now + i);
        }
        assertTrue(cluster.usageCells() <= 2 * Cluster.USAGE_SWEEP_MIN,
                "usage cells kept: " + cluster.usageCells());
        assertTrue(cluster.usageCells() >= 2, "the guests of the latest sample keep theirs");
        assertEquals(0.5, cluster.guest("h1", "web").orElseThrow().cpuCores(), 1e-9, "the inventory's guest keeps its usage");
    }
}
