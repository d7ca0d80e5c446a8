package org.virtbalancer.deploy.e2e;

import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.MaintenanceState;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * One overloaded host among calm ones, for the operator commands to look at: host-1 runs eight
 * 0.95-core guests on 8 CPUs; host-2 and host-3 run one 0.5-core guest each; host-4 is empty and
 * goes into maintenance. All have 8 CPUs and 32 GiB; tests may add hosts.
 */
final class HotHostScenario {
    private HotHostScenario() {}

    /** The four hosts and their guests; {@code host1} is host-1's spec, e.g. with a slower link. */
    static SimulatedFabric.Builder fabric(HostSpec host1) {
        SimulatedFabric.Builder b = SimulatedFabric.builder().host(host1);
        for (String id : List.of("host-2", "host-3", "host-4")) {
            b.host(host(id));
        }
        for (int i = 1; i <= 8; i++) {
            b.guest("host-1", GuestSpec.of("hot-" + i).withVcpus(1).withMemoryMiB(2048).withConstantCpu(0.95));
        }
        b.guest("host-2", GuestSpec.of("calm-2").withVcpus(1).withMemoryMiB(2048).withConstantCpu(0.5));
        b.guest("host-3", GuestSpec.of("calm-3").withVcpus(1).withMemoryMiB(2048).withConstantCpu(0.5));
        return b;
    }

    /** A host of the scenario's size. */
    static HostSpec host(String id) {
        return HostSpec.of(id).withCpus(8).withMemoryMiB(32768);
    }

    /** Puts host-4 into maintenance, then waits until every host reports, host-1 is overloaded and host-4 is drained. */
    static void settle(ClusterFixture fx) throws Exception {
        fx.control("host-4", new EnterMaintenance("host-4", "firmware"));
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            List<HostSnapshot> hosts = fx.cluster.balancer().snapshot().hosts();
            return hosts.size() == fx.hosts().size() && hosts.stream().noneMatch(HostSnapshot::stale)
                    && hosts.stream().anyMatch(h -> h.host().equals("host-1") && h.overloaded())
                    && hosts.stream().anyMatch(h -> h.host().equals("host-4")
                    && h.maintenance() == MaintenanceState.IN_MAINTENANCE);
        });
    }
}
