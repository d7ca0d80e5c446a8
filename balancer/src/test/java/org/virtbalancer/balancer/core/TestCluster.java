package org.virtbalancer.balancer.core;

import org.virtbalancer.balancer.replay.VirtualClock;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.host;

/** A BalancerCore with a hand-driven clock and the loads each host reports. */
final class TestCluster {
    final VirtualClock clock = VirtualClock.atStart();
    final BalancerCore core;
    private final Map<String, Double> hostCores = new TreeMap<>();
    private final Map<String, Map<String, GuestLoad>> guestLoads = new TreeMap<>();

    TestCluster(BalancerSettings settings) {
        this.core = new BalancerCore(settings, clock);
    }

    TestCluster host(String name, double cores, GuestDescriptor... guests) {
        return host(org.virtbalancer.balancer.Fixtures.host(name), cores, guests);
    }

    TestCluster host(HostFacts facts, double cores, GuestDescriptor... guests) {
        core.onInventory(new Inventory(facts, List.of(guests)));
        hostCores.put(facts.host(), cores);
        guestLoads.putIfAbsent(facts.host(), new TreeMap<>());
        return this;
    }

    /** Sets what the host reports from now on. */
    TestCluster reports(String host, double cores, GuestLoad... guests) {
        hostCores.put(host, cores);
        Map<String, GuestLoad> loads = new TreeMap<>();
        for (GuestLoad g : guests) {
            loads.put(g.guest(), g);
        }
        guestLoads.put(host, loads);
        return this;
    }

    TestCluster reports(String host, double cores, Map<String, Double> guestCores) {
        List<GuestLoad> loads = new ArrayList<>();
        guestCores.forEach((g, c) -> loads.add(guestLoad(g, c)));
        return reports(host, cores, loads.toArray(GuestLoad[]::new));
    }

    /** Every host sends one sample, {@code interval} after the last. */
    void sampleAll(int times) {
        for (int i = 0; i < times; i++) {
            clock.advance(Duration.ofSeconds(10));
            hostCores.forEach((h, c) -> core.onHostLoad(new HostLoad(h, 10_000, c, 4096, 1, 1,
                    List.copyOf(guestLoads.getOrDefault(h, Map.of()).values()))));
        }
    }

    List<Action> tick() {
        return core.tick();
    }
}
