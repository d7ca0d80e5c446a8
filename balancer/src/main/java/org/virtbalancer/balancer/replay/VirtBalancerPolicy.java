package org.virtbalancer.balancer.replay;

import org.virtbalancer.balancer.core.Action;
import org.virtbalancer.balancer.core.BalancerCore;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vb}: virt-balancer's own decision core ({@link BalancerCore}: detector, planner and
 * executor bookkeeping) fed as the agents would feed it. At minute 0 every host's inventory; every
 * minute one load sample per host with per-guest load (CPU from the trace, memory, dirty rate);
 * then {@code tick()}, whose {@code SendMigrate} actions become migrations. When one ends the core
 * gets the command result and both hosts' fresh inventories. Decisions it publishes are not needed
 * here and are dropped.
 *
 * <p>Settings are the defaults with two changes the one-minute sampling needs: overload is 3 hot
 * samples of 5 (as by default, now 3 minutes instead of 30 s), and a host counts as silent after
 * 3 minutes instead of 30 s, since samples now come every 60 s.
 */
public final class VirtBalancerPolicy implements Policy {
    static final Instant START = Instant.parse("2011-03-03T00:00:00Z");
    private static final long SAMPLE_MS = 60_000;

    private final VirtualClock clock = new VirtualClock(START);
    private final BalancerCore core;
    private final Map<String, String> commandByGuest = new HashMap<>();
    private boolean inventoriesSent;

    public VirtBalancerPolicy() {
        this(BalancerSettings.defaults().withOverload(3, 5).withHostStaleAfter(Duration.ofMinutes(3)));
    }

    public VirtBalancerPolicy(BalancerSettings settings) {
        this.core = new BalancerCore(settings, clock);
    }

    @Override
    public String name() {
        return "vb";
    }

    @Override
    public List<MigrationRequest> decide(ReplayCluster cluster, int minute) {
        clock.set(START.plusSeconds(60L * minute));
        if (!inventoriesSent) {
            cluster.hosts().forEach(h -> core.onInventory(inventory(cluster, h)));
            inventoriesSent = true;
        }
        Map<String, List<ReplayCluster.Guest>> byHost = cluster.guestsByHost();
        for (ReplayCluster.HostSpec h : cluster.hosts()) {
            double cores = 0;
            long memory = 0;
            List<GuestLoad> loads = new ArrayList<>();
            for (ReplayCluster.Guest g : byHost.get(h.name())) {
                double c = g.cpuDemand(minute);
                cores += c;
                memory += g.memoryMiB();
                loads.add(new GuestLoad(g.name(), c, g.memoryMiB(), g.dirtyRateMiBps(), 0, 0));
            }
            core.onHostLoad(new HostLoad(h.name(), SAMPLE_MS, cores, memory, 0, 0, loads));
        }
        List<MigrationRequest> requests = new ArrayList<>();
        for (Action a : core.tick()) {
            if (a instanceof Action.SendMigrate m) {
                commandByGuest.put(m.migrate().guest(), m.commandId());
                requests.add(new MigrationRequest(m.migrate().guest(), m.migrate().target(), m.migrate().reason()));
            }
        }
        return requests;
    }

    @Override
    public void onFinished(ReplayCluster.InFlight m, ReplayCluster cluster, int minute) {
        clock.set(START.plusSeconds(60L * minute));
        String commandId = commandByGuest.remove(m.guest());
        if (commandId == null) {
            return;
        }
        long elapsed = 60_000L * (m.finishMinute() - m.startMinute());
        MigrationStats stats = new MigrationStats((long) m.transferredMiB(), 0, 0, elapsed, 0,
                cluster.guest(m.guest()).dirtyRateMiBps());
        core.onCommandResult(new CommandResult(commandId, m.source(), m.guest(),
                m.converges() ? ResultStatus.SUCCEEDED : ResultStatus.FAILED, m.converges() ? 100 : 0,
                m.converges() ? "" : "did not converge", stats));
        core.onInventory(inventory(cluster, cluster.host(m.source())));
        core.onInventory(inventory(cluster, cluster.host(m.target())));
    }

    static Inventory inventory(ReplayCluster cluster, ReplayCluster.HostSpec h) {
        HostFacts facts = new HostFacts(h.name(), h.arch(), "EPYC", h.cpus(), h.memoryMiB(), h.linkMiBps(), "simulated",
                "9.0.0", "7.2.0", "10.0.0.0/16", h.name() + ".replay", "qemu+tcp://" + h.name() + ".replay/system",
                Map.of(), List.of(), new QemuIdentity(64055, Map.of("kvm", 994L)));
        List<GuestDescriptor> guests = cluster.guestsOn(h.name()).stream()
                .map(g -> new GuestDescriptor(g.name(), "", GuestState.RUNNING, true, g.vcpus(), g.memoryMiB(), "custom",
                        List.of(), List.of(), false, Map.of()))
                .toList();
        return new Inventory(facts, guests);
    }
}
