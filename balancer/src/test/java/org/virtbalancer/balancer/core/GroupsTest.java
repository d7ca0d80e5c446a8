package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.Fixtures;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.migrations;

/** Affinity groups and host groups through the whole core: relief respects them and explain says why. */
class GroupsTest {
    private static HostFacts labelled(String name, String groups) {
        HostFacts f = Fixtures.host(name);
        return new HostFacts(f.host(), f.arch(), f.cpuModel(), f.cpus(), f.memoryMiB(), f.linkMiBps(), f.hypervisor(),
                f.libvirtVersion(), f.qemuVersion(), f.subnet(), f.migrationAddress(), f.libvirtUri(),
                Map.of("vb.host-group", groups), f.pools(), f.qemu());
    }

    @Test
    void reliefMovesNeitherHalfOfAnAffinityPairAndKeepsHostGroupGuestsInTheirGroup() {
        TestCluster c = new TestCluster(BalancerSettings.defaults().withImbalance(0, 0.005));
        Map<String, String> app = Map.of("vb.affinity", "app");
        c.host("h1", 15.2, guest("app-1", GuestState.RUNNING, 4096, app), guest("app-2", GuestState.RUNNING, 4096, app),
                guest("licensed", GuestState.RUNNING, 4096, Map.of("vb.host-group", "oracle")),
                guest("plain", GuestState.RUNNING));
        // The affinity pair are the biggest and would relieve h1 most; they must stay together.
        c.reports("h1", 15.2, guestLoad("app-1", 5), guestLoad("app-2", 5), guestLoad("licensed", 3),
                guestLoad("plain", 2.2));
        c.host(Fixtures.host("h2"), 1); // least loaded, but not in the oracle group
        c.host(labelled("h3", "oracle, rack-b"), 4);
        c.sampleAll(3);

        Map<String, String> moved = new java.util.TreeMap<>();
        migrations(c.tick()).forEach(s -> moved.put(s.migrate().guest(), s.migrate().target()));
        assertFalse(moved.containsKey("app-1") || moved.containsKey("app-2"), moved.toString());
        assertEquals("h3", moved.get("licensed"), "only h3 is in host group oracle: " + moved);
        assertEquals("h2", moved.get("plain"), moved.toString());

        String why = c.core.explain("app-1").summary();
        assertTrue(why.startsWith("0/2 hosts can take app-1: 2 would split affinity group"), why);
        assertTrue(c.core.explain("app-1").hosts().get(0).failures().stream().anyMatch(f -> f.reason().equals(
                "moving app-1 alone would leave 1 other member of affinity group app on h1 (label vb.affinity);"
                        + " balancing keeps the group together.")));
        String licensed = c.core.explain("licensed").summary();
        assertTrue(licensed.contains("1 not in host group oracle"), licensed);
        assertEquals(List.of("InHostGroup"), c.core.explain("licensed").hosts().stream()
                .filter(v -> v.host().equals("h2")).flatMap(v -> v.failures().stream())
                .map(Explanation.RuleFailure::rule).toList());
    }
}
