package org.virtbalancer.agent.driver;

import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationStats;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the agent needs from the hypervisor of its own host. Every method may block (libvirt
 * calls go over JNA and a socket), so the agent calls them from worker threads only, and several
 * at once: implementations must be thread-safe.
 */
public interface HypervisorDriver extends AutoCloseable {

    /** The host's facts, as peers and the balancer compare them. */
    HostFacts hostFacts() throws DriverException;

    /** Every guest defined or running on this host. */
    List<GuestDescriptor> guests() throws DriverException;

    /**
     * Host and per-guest load over the last {@code interval}.
     *
     * @param interval the time since the previous sample, which rates are averaged over
     */
    HostLoad sampleLoad(Duration interval) throws DriverException;

    /**
     * Delivers lifecycle events of this host's guests to {@code listener}, on any thread, until
     * {@link #close()}. Calling it again replaces the listener.
     */
    void listen(Consumer<DomainEvent> listener) throws DriverException;

    /**
     * Calls {@code resync}, on any thread, each time the driver regains a hypervisor connection
     * it had lost: events may have been missed meanwhile, so the agent republishes its inventory.
     * Drivers whose connection cannot drop never call it.
     */
    default void onReconnected(Runnable resync) {
    }

    /**
     * Migrates a guest of this host and blocks until it is done.
     *
     * @param request  what to move where, how, and by when
     * @param progress told how far it is, at least every 250 ms of wall time while it runs
     * @return what the migration did
     * @throws MigrationException when it fails, is aborted or misses its deadline; the guest
     *                            then stays on this host
     */
    MigrationStats migrate(MigrationRequest request, MigrationProgress progress) throws MigrationException;

    /**
     * After the agent restarted: where a migration of {@code guest} to {@code target}, which an
     * earlier run of the agent started or may have started, stands now. The hypervisor carried on
     * without the agent, so it may still run, have ended, or never have begun. Never starts or
     * stops anything.
     *
     * @param guest       domain name
     * @param target      the target host's id
     * @param targetFacts the target's facts from the inventory, when known: how to reach its hypervisor
     * @param mode        the migration's mode (an offline migration moves only the definition)
     */
    MigrationJob inspectMigration(String guest, String target, Optional<HostFacts> targetFacts, MigrationMode mode)
            throws DriverException;

    /**
     * Follows a migration of this host that {@link #inspectMigration} found running (an earlier run
     * of the agent started it), as {@link #migrate} follows its own: reports progress, enforces the
     * request's deadline (aborting the job when it passes) and blocks until the job ends. Never
     * starts a migration; {@link #abort} stops the followed job too.
     *
     * @return what the migration did, once the guest is on the target
     * @throws MigrationException when it failed, was aborted or no such migration runs; the reason
     *                            says where the guest is
     */
    MigrationStats followMigration(MigrationRequest request, MigrationProgress progress) throws MigrationException;

    /**
     * Asks the running migration of {@code guest} to stop; {@link #migrate} then throws.
     *
     * @return false when no migration of that guest is running
     * @throws DriverException when the migration cannot be stopped any more (e.g. in post-copy)
     */
    boolean abort(String guest) throws DriverException;

    /** Stops event delivery and releases the connection; does not stop running guests. */
    @Override
    void close();
}
