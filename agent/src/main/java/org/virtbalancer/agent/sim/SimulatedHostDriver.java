package org.virtbalancer.agent.sim;

import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MigrationException;
import org.virtbalancer.agent.driver.MigrationJob;
import org.virtbalancer.agent.driver.MigrationProgress;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationStats;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/** One host of a {@link SimulatedFabric}, seen as its agent sees a hypervisor. */
final class SimulatedHostDriver implements HypervisorDriver {
    private final SimulatedFabric fabric;
    private final String host;
    private volatile Consumer<DomainEvent> listener;

    SimulatedHostDriver(SimulatedFabric fabric, String host) {
        this.fabric = fabric;
        this.host = host;
    }

    @Override
    public HostFacts hostFacts() throws DriverException {
        return fabric.facts(host);
    }

    @Override
    public List<GuestDescriptor> guests() throws DriverException {
        return fabric.guestsOf(host);
    }

    @Override
    public HostLoad sampleLoad(Duration interval) throws DriverException {
        return fabric.sample(host, interval);
    }

    @Override
    public void listen(Consumer<DomainEvent> newListener) throws DriverException {
        fabric.facts(host);
        Consumer<DomainEvent> old = listener;
        listener = Objects.requireNonNull(newListener, "listener");
        fabric.unlisten(host, old);
        fabric.listen(host, newListener);
    }

    @Override
    public MigrationStats migrate(MigrationRequest request, MigrationProgress progress) throws MigrationException {
        return fabric.migrate(host, request, progress);
    }

    @Override
    public MigrationJob inspectMigration(String guest, String target, Optional<HostFacts> targetFacts, MigrationMode mode)
            throws DriverException {
        return fabric.inspect(host, guest, target, mode);
    }

    @Override
    public MigrationStats followMigration(MigrationRequest request, MigrationProgress progress) throws MigrationException {
        return fabric.followExisting(host, request, progress);
    }

    @Override
    public boolean abort(String guest) throws DriverException {
        return fabric.abort(host, guest);
    }

    @Override
    public void close() {
        fabric.unlisten(host, listener);
        listener = null;
    }

    @Override
    public String toString() {
        return "simulated host " + host;
    }
}
