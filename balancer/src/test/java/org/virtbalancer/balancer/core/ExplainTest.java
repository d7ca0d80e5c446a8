package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostLoad;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.host;
import static org.virtbalancer.balancer.Fixtures.migrations;

class ExplainTest {
    @Test
    void aggregatesEveryFailingRuleAcrossHostsLikeTheKubernetesScheduler() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 2, guest("web-3", GuestState.RUNNING));
        c.host("h2", 1, guest("anchor", GuestState.RUNNING, 1024, Map.of("vb.pinned", "true")));
        c.host("h3", 1);
        c.host("h4", 1);
        c.host("h5", 1, guest("web-3", GuestState.RUNNING));
        c.host(host("h6", "aarch64", "9.0.0", "10.0.0.0/24"), 1);
        c.host("h7", 1);
        c.sampleAll(1);
        c.core.onHostLoad(new HostLoad("h4", 10_000, 1, 60_000, 0, 0, List.of()));
        c.core.onControl(new EnterMaintenance("h2", ""));
        c.core.onControl(new EnterMaintenance("h3", ""));
        c.tick();

        Explanation e = c.core.explain("web-3");
        assertEquals("h1", e.host());
        assertEquals("1/6 hosts can take web-3: 2 in maintenance, 1 different CPU architecture,"
                + " 1 same-named guest running, 1 would exceed memory", e.summary());
        Map<String, Explanation.HostVerdict> byHost = e.hosts().stream()
                .collect(Collectors.toMap(Explanation.HostVerdict::host, v -> v));
        assertTrue(byHost.get("h7").eligible());
        assertTrue(byHost.get("h2").failures().get(0).reason().contains("h2 is entering maintenance"));
        assertTrue(byHost.get("h3").failures().get(0).reason().contains("h3 is in maintenance"));
        assertEquals("FitsCapacity", byHost.get("h4").failures().get(0).rule());
        assertTrue(byHost.get("h4").failures().get(0).reason().startsWith("h4 memory would reach 0.98"),
                byHost.get("h4").failures().get(0).reason());
        assertEquals("SameArchitecture", byHost.get("h6").failures().get(0).rule());
        assertEquals(List.of(new Explanation.Count("in maintenance", 2),
                new Explanation.Count("different CPU architecture", 1), new Explanation.Count("same-named guest running", 1),
                new Explanation.Count("would exceed memory", 1)), e.counts());
    }

    @Test
    void explainingOneTargetListsEveryRuleThatFailsThereAndTheGuestsNotes() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 14, guest("big", GuestState.RUNNING)).reports("h1", 14, guestLoad("big", 4));
        c.host("h2", 1);
        c.host(host("h3", "aarch64", "9.0.0", "10.0.1.0/24"), 1);
        c.sampleAll(3);
        c.core.onControl(new EnterMaintenance("h3", "firmware"));
        List<Action.SendMigrate> sent = migrations(c.tick());
        assertEquals(List.of("h2"), sent.stream().map(m -> m.migrate().target()).toList());

        Explanation e = c.core.explain("big", "h3");
        assertEquals("h1", e.host());
        assertEquals("h3 cannot take big: different CPU architecture, different subnet, in maintenance", e.summary());
        assertEquals(1, e.hosts().size(), "only the host asked about");
        Explanation.HostVerdict h3 = e.hosts().get(0);
        assertEquals("h3", h3.host());
        assertEquals(List.of("NotInMaintenance", "SameArchitecture", "SameSubnet"),
                h3.failures().stream().map(Explanation.RuleFailure::rule).toList());
        assertTrue(h3.failures().get(0).reason().contains("h3 is in maintenance"), h3.failures().toString());
        assertEquals(3, e.counts().size());
        assertTrue(e.counts().stream().allMatch(n -> n.hosts() == 1), e.counts().toString());
        assertTrue(e.notes().stream().anyMatch(n -> n.startsWith("big is migrating to h2 now")), e.notes().toString());
    }

    @Test
    void explainingATargetThatCanTakeTheGuestSaysSo() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 2, guest("web-3", GuestState.RUNNING)).host("h2", 1);
        c.sampleAll(1);
        Explanation e = c.core.explain("web-3", "h2");
        assertEquals("h2 can take web-3", e.summary());
        assertTrue(e.hosts().get(0).eligible());
        assertEquals(List.of(), e.counts());

        Explanation own = c.core.explain("web-3", "h1");
        assertEquals("h1 cannot take web-3: is its current host", own.summary());
    }

    @Test
    void guestLevelReasonsNameTheGuestOnceWhenOneTargetIsAsked() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 2, guest("db", GuestState.RUNNING, 4096, Map.of("vb.pinned", "true"))).host("h2", 1);
        c.sampleAll(1);
        assertEquals("h2 cannot take db: db is pinned to h1 (label vb.pinned=true); remove the label or move it by hand",
                c.core.explain("db", "h2").summary());
    }

    @Test
    void anUnknownTargetIsExplainedWithNoVerdict() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 2, guest("web-3", GuestState.RUNNING)).host("h2", 1);
        c.sampleAll(1);
        Explanation e = c.core.explain("web-3", "h9");
        assertEquals("h1", e.host());
        assertEquals(List.of(), e.hosts());
        assertTrue(e.summary().startsWith("h9 is not a known host"), e.summary());
        assertTrue(c.core.explain("nobody", "h2").summary().contains("not in any host's inventory"));
    }

    @Test
    void guestLevelReasonsAreStatedOnceInTheSummary() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 2, guest("db", GuestState.RUNNING, 4096, Map.of("vb.pinned", "true")));
        c.host("h2", 1).host("h3", 1);
        c.sampleAll(1);
        assertEquals("0/2 hosts can take db: db is pinned to h1 (label vb.pinned=true); remove the label or move it"
                + " by hand", c.core.explain("db").summary());
    }

    @Test
    void anUnknownGuestIsExplainedNotThrown() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        Explanation e = c.core.explain("nobody");
        assertEquals("", e.host());
        assertTrue(e.summary().contains("not in any host's inventory"));
    }
}
