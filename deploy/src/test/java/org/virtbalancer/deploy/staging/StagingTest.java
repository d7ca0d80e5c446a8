package org.virtbalancer.deploy.staging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;
import org.virtbalancer.protocol.LeaderEpoch;

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
    /**
     * A generous correctness bound on a SIGTERM handover; the figures go to StagingBenchmark. Usually 2.5-5 s
     * here, but one took 10.3 s on this 2-core machine at load 30, 5 s of it the new leader's fencing of the old
     * one's transactional producer (its log: "fenced earlier leaders … in 5031 ms").
     */
    private static final long HANDOVER_BOUND_MS = 20_000;

    @Test
    void theGuideDeploysABalancedClusterThatSurvivesARollingRestart(LibvirtTestbed bed) throws Exception {
        Path dir = StagingCluster.workDir();
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

            rollingRestartDuringDrains(c);
            assertEquals(List.of(), c.guide.notRun(), "commands of docs/deploy.md the staging test did not run");
            c.close();
            StagingCluster.delete(dir);
        } finally {
            bed.clean();
        }
    }

    /**
     * Every balancer, then every agent, restarted once with the guide's {@code systemctl restart}, while
     * simulated hosts drain: before each balancer restart a fresh drain (once the one before has emptied its
     * host, and of a host holding only its own guests, so that no drain moves a guest another one moved), so
     * that each restart of a leader comes while commands are due; one more before the agents'. Then no
     * guest may have moved twice.
     */
    private void rollingRestartDuringDrains(StagingCluster c) throws Exception {
        long began = System.currentTimeMillis();
        List<Drain> drains = new ArrayList<>();
        List<Handover> handovers = new ArrayList<>();
        List<String> restarted = new ArrayList<>();
        int next = 7;
        while (restarted.size() < StagingCluster.HOSTS.length) {
            if (!drains.isEmpty()) {
                drains.get(drains.size() - 1).awaitEmpty();
            }
            Drain drain = Drain.start(c, next);
            drains.add(drain);
            next = Integer.parseInt(drain.host.substring("sim-".length())) + 1;
            // The leader first, each time it has not been restarted yet: every restart then hands over.
            String leader = c.leaderHost();
            String host = !restarted.contains(leader) ? leader
                    : List.of(StagingCluster.HOSTS).stream().filter(h -> !restarted.contains(h)).findFirst().orElseThrow();
            LeaderEpoch before = c.record.leader().orElseThrow();
            long signalled = System.currentTimeMillis();
            c.guide.run("restart-balancer", c.host(host));
            if (host.equals(leader)) {
                Handover h = Handover.after(c, before, host, "SIGTERM", signalled, drain);
                System.out.println("[staging] " + h);
                handovers.add(h);
            }
            c.awaitBalancersReady();
            restarted.add(host);
        }
        drains.get(drains.size() - 1).awaitEmpty();
        drains.add(Drain.start(c, next));
        for (String h : StagingCluster.HOSTS) {
            c.guide.run("restart-agent", c.host(h));
        }
        for (Drain d : drains) {
            d.awaitCompletedOnce();
        }
        Set<String> drained = new java.util.HashSet<>();
        drains.forEach(d -> drained.addAll(d.guests));
        c.record.movesPerGuest(drained, began).forEach((g, n) -> assertEquals(1L, n,
                () -> g + " moved " + n + " times" + c.record.history(g, began)));
        assertEquals(Map.of(), c.record.acceptedTwice(), "commands accepted twice");
        assertTrue(handovers.stream().anyMatch(Handover::measured), "no restart of a leader came while a drain issued"
                + " commands: " + handovers);
        for (Handover h : handovers) {
            assertTrue(h.gapMs() < HANDOVER_BOUND_MS && h.firstMs() < HANDOVER_BOUND_MS, h.toString());
        }
        for (Drain d : drains) {
            d.exit();
        }
    }
}
