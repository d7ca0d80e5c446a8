package org.virtbalancer.deploy.staging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.LeaderEpoch;
import org.virtbalancer.protocol.Migrate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * virt-balancer installed and run as an operator deploys it, by following docs/deploy.md: the package,
 * its units and sample configs, a secure three-broker Kafka, three balancers, agents on both real
 * libvirt hosts and a simulated fleet of 50 ({@link StagingCluster}). Then a real guest is relieved off an
 * overloaded real host (first recommended under manual automation, then run under full), a real host is
 * drained for maintenance, and every balancer and agent is restarted once while a simulated host drains:
 * no guest moves twice, the drain completes, and each handover of leadership is printed.
 */
@ExtendWith(LibvirtTestbed.Resolver.class)
class StagingTest {
    private static final String A = LibvirtTestbed.HOST_A;
    private static final String B = LibvirtTestbed.HOST_B;
    /** A generous correctness bound on a SIGTERM handover; the figures go to StagingBenchmark. */
    private static final long HANDOVER_BOUND_MS = 10_000;

    @Test
    void theGuideDeploysABalancedClusterThatSurvivesARollingRestart(@TempDir Path dir, LibvirtTestbed bed) throws Exception {
        bed.clean();
        try (StagingCluster c = StagingCluster.install(dir, bed)) {
            c.start();
            StagingHost kvm1 = c.host("kvm-1");

            String checked = c.guide.run("check", kvm1);
            for (String host : List.of(A, B, "sim-1", StagingCluster.FLEET_HOST)) {
                assertTrue(checked.contains(host), "vbal hosts names " + host + ":\n" + checked);
            }

            // Manual first: the overload of a real host is recommended, nothing moves.
            c.guide.run("manual", kvm1);
            long since = System.currentTimeMillis();
            Set<String> real = Set.of("stage-1", "stage-2");
            for (String g : real) {
                bed.define(A, bed.guestXml(g, "counter", "").replace("<memory unit='MiB'>64</memory>",
                        "<memory unit='MiB'>" + StagingCluster.REAL_GUEST_MIB + "</memory>"), true);
            }
            // Only the leader's API lists the plans waiting (a follower says none waits): ask on the leader's host.
            await().atMost(Duration.ofMinutes(2)).until(() -> c.guide.run("recommendations", c.host(c.leaderHost()))
                    .contains("stage-"));
            assertEquals(List.of(), c.record.migrates(real, since), "under manual automation nothing moves");

            // Full: the leader relieves the overloaded host by moving one real guest.
            c.guide.run("full", kvm1);
            await().atMost(Duration.ofMinutes(3)).until(() -> real.stream().anyMatch(g -> bed.state(B, g).equals("running")));
            String moved = real.stream().filter(g -> bed.state(B, g).equals("running")).findFirst().orElseThrow();
            String stayed = real.stream().filter(g -> !g.equals(moved)).findFirst().orElseThrow();
            assertEquals("running", bed.state(A, stayed));
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertEquals(Map.of(moved, 1L),
                    c.record.movesPerGuest(real, since), c.record.history(moved, since)));

            // The memory that made two guests an overload leaves no room for a drain: the moved guest is retired.
            bed.virsh(B, "destroy", moved);
            bed.virsh(B, "undefine", moved);
            await().atMost(Duration.ofMinutes(1)).until(() -> !c.record.guestsOn(B).contains(moved));

            String drained = c.guide.run("drain", kvm1);
            assertTrue(drained.contains("IN_MAINTENANCE"), drained);
            assertEquals("running", bed.state(B, stayed));
            assertEquals("absent", bed.state(A, stayed));
            c.guide.run("undrain", kvm1);

            rollingRestartDuringADrain(c, "sim-7");
            assertEquals(List.of(), c.guide.notRun(), "commands of docs/deploy.md the staging test did not run");
        } finally {
            bed.clean();
        }
    }

    private void rollingRestartDuringADrain(StagingCluster c, String host) throws Exception {
        Set<String> guests = c.record.guestsOn(host);
        assertEquals(20, guests.size(), host + "'s guests: " + guests);
        long since = System.currentTimeMillis();
        c.vbal(c.host("kvm-1"), "maintenance", "enter", host);
        await().atMost(Duration.ofMinutes(1)).until(() -> c.record.migrates(guests, since).size() >= 2);

        List<Handover> handovers = new ArrayList<>();
        List<String> restarted = new ArrayList<>();
        while (restarted.size() < StagingCluster.HOSTS.length) {
            // The leader first, each time it has not been restarted yet: every restart then hands over.
            String leader = c.leaderHost();
            String next = !restarted.contains(leader) ? leader
                    : List.of(StagingCluster.HOSTS).stream().filter(h -> !restarted.contains(h)).findFirst().orElseThrow();
            LeaderEpoch before = c.record.leader().orElseThrow();
            long signalled = System.currentTimeMillis();
            c.guide.run("restart-balancer", c.host(next));
            if (next.equals(leader) && !c.record.guestsOn(host).isEmpty()) {
                Handover h = Handover.after(c, before, next, "SIGTERM", signalled);
                System.out.println("[staging] " + h);
                handovers.add(h);
            }
            c.awaitBalancersReady();
            restarted.add(next);
        }
        for (String h : StagingCluster.HOSTS) {
            c.guide.run("restart-agent", c.host(h));
        }

        await().atMost(Duration.ofMinutes(4)).until(() -> c.record.guestsOn(host).isEmpty());
        String status = c.vbal(c.host("kvm-1"), "maintenance", "status", host);
        assertTrue(status.contains("IN_MAINTENANCE"), status);
        Map<String, Long> moves = c.record.movesPerGuest(guests, since);
        assertEquals(guests, moves.keySet(), "every guest of " + host + " moved");
        moves.forEach((g, n) -> assertEquals(1L, n, () -> g + " moved " + n + " times" + c.record.history(g, since)));
        c.record.commandsPerGuest(guests, since).forEach((g, n) -> assertEquals(1L, n,
                () -> n + " commands to move " + g + c.record.history(g, since)));
        assertEquals(Map.of(), c.record.acceptedTwice(), "commands accepted twice");
        for (Envelope e : c.record.migrates(guests, since)) {
            assertEquals(host, ((Migrate) e.body()).source());
        }

        assertTrue(!handovers.isEmpty(), "no restart of a leader came while the drain issued commands");
        for (Handover h : handovers) {
            assertTrue(h.gapMs() < HANDOVER_BOUND_MS && h.firstMs() < HANDOVER_BOUND_MS, h.toString());
        }
        c.vbal(c.host("kvm-1"), "maintenance", "exit", host);
    }
}
