package org.virtbalancer.agent.libvirt;

import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.DomainJobStats;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.NodeInfo;
import org.libvirt.StoragePoolInfo;
import org.libvirt.TypedDoubleParameter;
import org.libvirt.TypedIntParameter;
import org.libvirt.TypedLongParameter;
import org.libvirt.TypedParameter;
import org.libvirt.TypedUintParameter;
import org.libvirt.TypedUlongParameter;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MigrationException;
import org.virtbalancer.agent.driver.MigrationJob;
import org.virtbalancer.agent.driver.MigrationProgress;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.agent.driver.PausedArrival;
import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.StoragePool;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The hypervisor driver for a real host: libvirt through libvirt-java (JNA), plus
 * {@link NativeLibvirt} for the calls that binding lacks.
 *
 * <p>Events arrive on libvirt's JVM-wide event loop thread ({@link EventLoop}). When the connection
 * drops (libvirtd restarts), calls fail with a {@link DriverException} saying so while the driver
 * reconnects in the background, 1 s after the loss and then at doubling intervals up to 30 s, and
 * registers for events again. Migrations run peer-to-peer on the caller's thread while a poller
 * thread reads the job's progress, applies the downtime limit, switches to post-copy, acts on virsh's
 * {@code --timeout} (suspends the guest, or switches to post-copy, when the migration has run that
 * long) and enforces the deadline.
 *
 * <p>Thread-safe: the SPI's callers may use it from several threads at once.
 */
public final class LibvirtDriver implements HypervisorDriver {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtDriver.class);
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY = Duration.ofSeconds(30);
    /** The SPI promises progress at least this often, whatever the polling interval. */
    private static final long PROGRESS_TICK_MS = 250;
    private static final int LIST_ACTIVE = 1;
    /**
     * {@code VIR_DOMAIN_JOB_STATS_COMPLETED | VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED}: the last completed job,
     * left in place; without KEEP libvirt discards it once read, and it is what tells (after a restart)
     * that a paused guest arrived by migration (see {@link #pausedSinceArrival}).
     */
    private static final int JOB_STATS_COMPLETED = 1 | 2;
    private static final int JOB_NONE = 0;
    private static final int JOB_COMPLETED = 3;
    private static final int JOB_FAILED = 4;
    private static final int JOB_CANCELLED = 5;
    /** {@code VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT}, the "operation" of a job since libvirt 3.3. */
    private static final int JOB_OPERATION_MIGRATION_OUT = 5;
    /** {@code VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN}. */
    private static final int JOB_OPERATION_MIGRATION_IN = 4;
    private static final double MIB = 1024.0 * 1024.0;

    private final LibvirtDriverConfig config;
    /** Told after a lost connection is back; the agent republishes its inventory. */
    private volatile Runnable reconnected = () -> { };
    private final String host;
    private final Object lock = new Object();
    private final Object eventsLock = new Object();
    private final ScheduledThreadPoolExecutor background;
    private final Map<String, Flight> flights = new ConcurrentHashMap<>();
    private final LoadSampler sampler = new LoadSampler();
    private final LifecycleListener dispatcher = this::onLifecycle;
    /** Guests that a migration brought here paused and that have not run since, as libvirt's events tell (PausedArrival). */
    private final java.util.Set<String> pausedArrivals = ConcurrentHashMap.newKeySet();
    /** Guests seen starting or resuming here since the events began. */
    private final java.util.Set<String> ranHere = ConcurrentHashMap.newKeySet();
    private volatile Consumer<DomainEvent> listener;
    // guarded by lock
    private Session session;
    private String outage = "";
    private Instant outageSince;
    private long retryDelayMs = FIRST_RETRY.toMillis();
    private boolean closed;

    /** One open connection and what is fixed for its lifetime. */
    private static final class Session {
        final NativeConnect conn;
        final HostCapabilities caps;
        boolean events; // guarded by eventsLock

        Session(NativeConnect conn, HostCapabilities caps) {
            this.conn = conn;
            this.caps = caps;
        }
    }

    /**
     * Connects to {@code config.uri()}.
     *
     * @throws DriverException when libvirt cannot be reached; the message says what to check
     */
    public LibvirtDriver(LibvirtDriverConfig config) throws DriverException {
        this.config = java.util.Objects.requireNonNull(config, "config");
        this.host = config.hostId();
        AtomicInteger threads = new AtomicInteger();
        this.background = new ScheduledThreadPoolExecutor(4, r -> {
            Thread t = new Thread(r, "libvirt-" + host + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        background.setRemoveOnCancelPolicy(true);
        try {
            EventLoop.ensureRunning();
            this.session = open();
        } catch (LibvirtException | RuntimeException e) {
            background.shutdownNow();
            throw new DriverException("cannot connect to libvirt at " + config.uri() + " for host " + host + ": " + message(e)
                    + ". Check that libvirtd runs there and that this user may open its socket", e);
        }
    }

    public LibvirtDriverConfig config() {
        return config;
    }

    // ---- facts, guests, load -------------------------------------------------------------------

    @Override
    public HostFacts hostFacts() throws DriverException {
        return call("read the host's facts", s -> {
            NodeInfo n = s.conn.nodeInfo();
            Map<String, String> labels = new LinkedHashMap<>(config.labels());
            if (!s.caps.hostUuid().isEmpty()) {
                labels.put("host-uuid", s.caps.hostUuid());
            }
            String hostname = s.conn.getHostName();
            if (hostname != null && !hostname.isBlank() && hostname.length() <= Check.MAX_TEXT) {
                labels.put("hostname", hostname.strip());
            }
            if (QemuIdentityFiles.describesLocalSystemDaemon(config.uri())) {
                QemuIdentityFiles.SYSTEM.migrationPorts().ifPresent(ports -> labels.put("migration-ports", ports));
            }
            String arch = s.caps.arch().isEmpty() ? n.model : s.caps.arch();
            String cpuModel = s.caps.cpuModel().isEmpty() ? n.model : s.caps.cpuModel();
            return new HostFacts(host, arch, cpuModel, Math.max(1, n.cpus), Math.max(1, n.memory / 1024), config.linkMiBps(),
                    s.conn.getType(), dotted(s.conn.getLibVirVersion()), dotted(s.conn.getVersion()), config.subnet(),
                    config.migrationAddress(), config.peerUri(), labels, pools(s), qemuIdentity());
        });
    }

    /** Read from this machine's files, so only for the local system daemon; file reads block, as libvirt's calls do. */
    private QemuIdentity qemuIdentity() {
        return QemuIdentityFiles.describesLocalSystemDaemon(config.uri()) ? QemuIdentityFiles.SYSTEM.read() : QemuIdentity.UNKNOWN;
    }

    /** Active and inactive pools; a pool whose XML the protocol cannot carry is left out with a warning. */
    private List<StoragePool> pools(Session s) throws LibvirtException {
        List<String> names = new ArrayList<>();
        try {
            names.addAll(List.of(s.conn.listStoragePools()));
            names.addAll(List.of(s.conn.listDefinedStoragePools()));
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_SUPPORT) {
                // A libvirt built without the storage driver has no pools to report; the other facts still count.
                LOG.debug("libvirt at {} has no storage driver: {}", config.uri(), message(e));
                return List.of();
            }
            throw e;
        }
        // A pool started between the two listings shows up in both.
        Map<String, StoragePool> pools = new LinkedHashMap<>();
        for (String name : names) {
            if (pools.containsKey(name)) {
                continue;
            }
            org.libvirt.StoragePool p;
            try {
                p = s.conn.storagePoolLookupByName(name);
            } catch (LibvirtException e) {
                if (e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_STORAGE_POOL) {
                    continue; // undefined while we listed
                }
                throw e;
            }
            try {
                pools.put(name, StoragePoolXml.parse(p.getXMLDesc(0), active(p.getInfo())));
            } catch (LibvirtException e) {
                if (e.getError() == null || e.getError().getCode() != Error.ErrorNumber.VIR_ERR_NO_STORAGE_POOL) {
                    throw e;
                }
            } catch (RuntimeException e) {
                LOG.warn("storage pool {} left out of host {}'s facts: {}", name, host, e.getMessage());
            } finally {
                free(p);
            }
        }
        return List.copyOf(pools.values());
    }

    /** Running or degraded pools serve their volumes; libvirt-java leaves a state it does not know (inaccessible) null. */
    static boolean active(StoragePoolInfo info) {
        return info.state == StoragePoolInfo.StoragePoolState.VIR_STORAGE_POOL_RUNNING
                || info.state == StoragePoolInfo.StoragePoolState.VIR_STORAGE_POOL_DEGRADED;
    }

    @Override
    public List<GuestDescriptor> guests() throws DriverException {
        return call("list the guests", s -> {
            List<GuestDescriptor> out = new ArrayList<>();
            Volumes volumes = new Volumes(s);
            try {
                for (Domain d : s.conn.listAllDomains(0)) {
                    try {
                        descriptor(d, volumes).ifPresent(out::add);
                    } finally {
                        free(d);
                    }
                }
            } finally {
                volumes.free();
            }
            return out;
        });
    }

    /** The host's pools and its volumes' paths, read once per inventory and only when a guest has a disk. */
    private final class Volumes implements DiskLocations.VolumePaths {
        private final Session session;
        private List<StoragePool> pools;
        private final Map<String, Optional<org.libvirt.StoragePool>> handles = new HashMap<>();

        Volumes(Session session) {
            this.session = session;
        }

        List<StoragePool> pools() throws LibvirtException {
            if (pools == null) {
                pools = LibvirtDriver.this.pools(session);
            }
            return pools;
        }

        @Override
        public Optional<String> path(String pool, String volume) {
            try {
                Optional<org.libvirt.StoragePool> p = handles.get(pool);
                if (p == null) {
                    p = Optional.of(session.conn.storagePoolLookupByName(pool));
                    handles.put(pool, p);
                }
                if (p.isEmpty()) {
                    return Optional.empty();
                }
                org.libvirt.StorageVol v = p.get().storageVolLookupByName(volume);
                try {
                    return Optional.ofNullable(v.getPath());
                } finally {
                    v.free();
                }
            } catch (LibvirtException e) {
                // No such pool or volume, or the pool is inactive: DiskLocations falls back to the pool's directory.
                handles.putIfAbsent(pool, Optional.empty());
                LOG.debug("no path for volume {} of pool {} on {}: {}", volume, pool, host, message(e));
                return Optional.empty();
            }
        }

        void free() {
            handles.values().forEach(h -> h.ifPresent(LibvirtDriver::free));
        }
    }

    @Override
    public HostLoad sampleLoad(Duration interval) throws DriverException {
        long intervalMs = interval == null ? 1 : interval.toMillis();
        return call("sample the host's load", s -> {
            NodeInfo n = s.conn.nodeInfo();
            long busy = -1;
            long total = -1;
            try {
                Map<String, Long> cpu = NativeLibvirt.nodeCpuStats(s.conn.pointer());
                if (cpu.containsKey("idle") && cpu.containsKey("user") && cpu.containsKey("kernel")) {
                    busy = cpu.get("user") + cpu.get("kernel");
                    total = busy + cpu.get("idle") + cpu.getOrDefault("iowait", 0L);
                }
            } catch (NativeLibvirt.NativeException e) {
                LOG.debug("no node CPU stats from {}: {}", config.uri(), e.getMessage());
            }
            long usedMiB;
            try {
                Map<String, Long> mem = NativeLibvirt.nodeMemoryStats(s.conn.pointer());
                usedMiB = (mem.getOrDefault("total", n.memory) - mem.getOrDefault("free", 0L) - mem.getOrDefault("buffers", 0L)
                        - mem.getOrDefault("cached", 0L)) / 1024;
            } catch (NativeLibvirt.NativeException e) {
                // Drivers without node memory stats (the test driver) still report free memory.
                usedMiB = (n.memory - s.conn.getFreeMemory() / 1024) / 1024;
            }
            List<LoadSampler.GuestReading> readings = new ArrayList<>();
            for (Domain d : s.conn.listAllDomains(LIST_ACTIVE)) {
                try {
                    reading(d).ifPresent(readings::add);
                } finally {
                    free(d);
                }
            }
            return sampler.sample(host, intervalMs, Math.max(1, n.cpus), new LoadSampler.HostReading(busy, total, Math.max(0, usedMiB)),
                    readings, System.nanoTime());
        });
    }

    private Optional<GuestDescriptor> descriptor(Domain d, Volumes volumes) throws LibvirtException {
        try {
            DomainXml xml = DomainXml.parse(d.getXMLDesc(0));
            if (xml.disks().stream().anyMatch(disk -> !disk.source().isEmpty())) {
                xml = xml.withDisks(DiskLocations.locate(xml.disks(), volumes.pools(), volumes));
            }
            DomainInfo info = d.getInfo();
            GuestState state = state(info.state);
            if (state.isActive() && flights.containsKey(xml.name())) {
                state = GuestState.MIGRATING;
            }
            return Optional.of(xml.descriptor(state, d.isPersistent() == 1));
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return Optional.empty(); // undefined while we listed; its UNDEFINED event tells the rest
            }
            throw e;
        } catch (RuntimeException e) {
            LOG.warn("guest left out of host {}'s inventory: {}", host, e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<LoadSampler.GuestReading> reading(Domain d) throws LibvirtException {
        try {
            DomainInfo info = d.getInfo();
            GuestState state = state(info.state);
            if (!state.isActive()) {
                return Optional.empty();
            }
            DomainXml xml = DomainXml.parse(d.getXMLDesc(0));
            long diskBytes = 0;
            for (Disk disk : xml.disks()) {
                if (disk.source().isEmpty()) {
                    continue;
                }
                try {
                    var st = d.blockStats(disk.target());
                    diskBytes += Math.max(0, st.rd_bytes) + Math.max(0, st.wr_bytes);
                } catch (LibvirtException e) {
                    LOG.debug("no block stats for {} of {}: {}", disk.target(), xml.name(), message(e));
                }
            }
            long netBytes = 0;
            for (String dev : xml.interfaceDevices()) {
                try {
                    var st = d.interfaceStats(dev);
                    netBytes += Math.max(0, st.rx_bytes) + Math.max(0, st.tx_bytes);
                } catch (LibvirtException e) {
                    LOG.debug("no interface stats for {} of {}: {}", dev, xml.name(), message(e));
                }
            }
            Flight f = flights.get(xml.name());
            double dirty = f == null ? 0 : f.dirtyRateMiBps;
            return Optional.of(new LoadSampler.GuestReading(xml.name(), xml.uuid().isEmpty() ? xml.name() : xml.uuid(),
                    info.cpuTime, info.memory / 1024, diskBytes, netBytes, dirty, state == GuestState.RUNNING || state == GuestState.MIGRATING));
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return Optional.empty();
            }
            throw e;
        } catch (RuntimeException e) {
            LOG.warn("guest left out of host {}'s load sample: {}", host, e.getMessage());
            return Optional.empty();
        }
    }

    static GuestState state(DomainInfo.DomainState s) {
        if (s == null) {
            return GuestState.SHUTOFF;
        }
        return switch (s) {
            // SHUTDOWN = shutting down: QEMU still runs until STOPPED.
            case VIR_DOMAIN_NOSTATE, VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED, VIR_DOMAIN_SHUTDOWN -> GuestState.RUNNING;
            case VIR_DOMAIN_PAUSED, VIR_DOMAIN_PMSUSPENDED -> GuestState.PAUSED;
            case VIR_DOMAIN_SHUTOFF -> GuestState.SHUTOFF;
            case VIR_DOMAIN_CRASHED -> GuestState.CRASHED;
        };
    }

    // ---- events --------------------------------------------------------------------------------

    /**
     * Registers for libvirt's lifecycle events (once per connection) and delivers them to
     * {@code newListener}. During an outage the listener is kept and registered on reconnect.
     */
    @Override
    public void listen(Consumer<DomainEvent> newListener) throws DriverException {
        java.util.Objects.requireNonNull(newListener, "listener");
        synchronized (eventsLock) {
            listener = newListener;
            Session s;
            synchronized (lock) {
                if (closed) {
                    throw new DriverException("the libvirt driver of host " + host + " is closed: create a new one to receive events");
                }
                s = session;
            }
            if (s == null) {
                LOG.info("libvirt at {} is unreachable; events will flow once the driver has reconnected", config.uri());
                return;
            }
            try {
                registerEvents(s);
            } catch (LibvirtException e) {
                throw failure(s, "register for guest events", e);
            }
        }
    }

    /** Caller holds eventsLock. */
    private void registerEvents(Session s) throws LibvirtException {
        if (!s.events) {
            s.conn.addLifecycleListener(dispatcher);
            s.events = true;
        }
    }

    /** On libvirt's event loop thread: must not block and must not throw. */
    private int onLifecycle(Domain domain, org.libvirt.event.DomainEvent event) {
        try {
            trackArrivals(domain.getName(), event);
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("event not tracked: {}", e.getMessage());
        }
        Consumer<DomainEvent> l = listener;
        if (l == null) {
            return 0;
        }
        try {
            LifecycleEvents.toDomainEvent(host, domain.getName(), event).ifPresent(l);
        } catch (LibvirtException | RuntimeException e) {
            LOG.warn("dropped a libvirt event on host {} ({}): {}", host, event, e.getMessage());
        }
        return 0;
    }

    /** Keeps {@link #pausedArrivals} and {@link #ranHere}; on libvirt's event loop, so only set updates. */
    private void trackArrivals(String guest, org.libvirt.event.DomainEvent event) {
        switch (event.getType()) {
            case STARTED -> {
                boolean migrated = LifecycleEvents.toDomainEvent(host, guest, event)
                        .map(e -> e.kind() == org.virtbalancer.protocol.DomainEventKind.MIGRATED_IN).orElse(false);
                if (migrated) {
                    // Started for an incoming migration: not run yet; a "resumed" follows unless it arrives paused.
                    pausedArrivals.add(guest);
                    ranHere.remove(guest);
                } else {
                    pausedArrivals.remove(guest);
                    ranHere.add(guest);
                }
            }
            case RESUMED -> {
                pausedArrivals.remove(guest);
                ranHere.add(guest);
            }
            case STOPPED, UNDEFINED, CRASHED -> {
                pausedArrivals.remove(guest);
                ranHere.remove(guest);
            }
            default -> { }
        }
    }

    // ---- migration -----------------------------------------------------------------------------

    @Override
    public MigrationStats migrate(MigrationRequest request, MigrationProgress progress) throws MigrationException {
        String guest = request.guest();
        Session s;
        try {
            s = session();
        } catch (DriverException e) {
            throw refused(e.getMessage());
        }
        MigrationCall call = preflight(s, request);
        Domain dom;
        try {
            dom = s.conn.domainLookupByName(guest);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                throw refused("guest " + guest + " is not on host " + host + ": check the inventory for where it is now");
            }
            throw refused(failure(s, "look up guest " + guest, e).getMessage());
        }
        try {
            Flight f = start(s, dom, request, call, progress);
            try {
                return run(s, f);
            } finally {
                flights.remove(guest, f);
            }
        } finally {
            free(dom);
        }
    }

    /** Checks what libvirt would refuse, in words an operator can act on; builds the call. */
    private MigrationCall preflight(Session s, MigrationRequest request) throws MigrationException {
        String guest = request.guest();
        HostFacts target = request.target();
        if (target.host().equals(host)) {
            throw refused("guest " + guest + " is already on " + host + ": pick a different target host");
        }
        String ourUuid = s.caps.hostUuid();
        if (!ourUuid.isEmpty() && ourUuid.equalsIgnoreCase(target.labels().getOrDefault("host-uuid", ""))) {
            throw refused("the target has the same host UUID as this host (" + ourUuid + "), so libvirt would refuse to migrate "
                    + guest + " from " + host + " to " + target.host() + ": give each libvirtd its own host_uuid in libvirtd.conf");
        }
        String arch = s.caps.arch();
        if (!arch.isEmpty() && !arch.equals(target.arch())) {
            throw refused("target host " + target.host() + " is " + target.arch() + " but " + host + " is " + arch
                    + ": guests migrate only between hosts of the same CPU architecture");
        }
        if (!Instant.now().isBefore(request.deadline())) {
            throw refused("the deadline " + request.deadline() + " has already passed: issue a new command with a later deadline");
        }
        if (flights.containsKey(guest)) {
            throw refused("guest " + guest + " is already migrating: wait for that migration to end or abort it");
        }
        try {
            return MigrationCall.of(request.mode(), request.options(), target);
        } catch (IllegalArgumentException e) {
            throw refused(e.getMessage());
        }
    }

    private Flight start(Session s, Domain dom, MigrationRequest request, MigrationCall call, MigrationProgress progress)
            throws MigrationException {
        String guest = request.guest();
        String uuid;
        GuestState state;
        boolean persistent;
        try {
            uuid = dom.getUUIDString();
            state = state(dom.getInfo().state);
            persistent = dom.isPersistent() == 1;
        } catch (LibvirtException e) {
            throw refused(failure(s, "read the state of guest " + guest, e).getMessage());
        }
        if (request.mode() == MigrationMode.OFFLINE) {
            if (state.isActive()) {
                throw refused("guest " + guest + " is " + state.name().toLowerCase(Locale.ROOT) + ": offline migration moves only the"
                        + " definition of a shut-off guest; use LIVE or NON_LIVE, or shut it down first");
            }
            if (!persistent || !request.options().persistent()) {
                throw refused("offline migration of " + guest + " needs a persistent guest and the persistent option");
            }
        } else if (state != GuestState.RUNNING && state != GuestState.PAUSED) {
            throw refused("guest " + guest + " is " + state.name().toLowerCase(Locale.ROOT) + ", not running or paused: use OFFLINE"
                    + " migration with persistent to move its definition, or start it first");
        } else if (state == GuestState.PAUSED && pausedSinceArrival(guest, dom)) {
            String qemu;
            try {
                qemu = dotted(s.conn.getVersion());
            } catch (LibvirtException e) {
                qemu = "";
            }
            throw refused(PausedArrival.refusal(guest, host, qemu));
        }
        Flight f = new Flight(guest, uuid, dom, request, call, progress, state);
        if (flights.putIfAbsent(guest, f) != null) {
            throw refused("guest " + guest + " is already migrating: wait for that migration to end or abort it");
        }
        return f;
    }

    /**
     * Whether the paused guest has not run since a migration brought it here (see {@link PausedArrival}).
     * libvirt's events say so while this driver listens; for a guest it has seen no event of (the agent
     * restarted since), libvirt's last completed job being an incoming migration stands in: it stays
     * until another job completes, so it also refuses a guest that arrived, ran and was paused again
     * before the restart, until it is resumed once more.
     */
    private boolean pausedSinceArrival(String guest, Domain dom) {
        if (pausedArrivals.contains(guest)) {
            return true;
        }
        if (ranHere.contains(guest)) {
            return false;
        }
        try {
            DomainJobStats js = dom.getJobStats(JOB_STATS_COMPLETED);
            return js.type == JOB_COMPLETED && values(js.stats).getOrDefault("operation", 0L) == JOB_OPERATION_MIGRATION_IN;
        } catch (LibvirtException e) {
            LOG.debug("no completed job stats: {}", message(e));
            return false;
        }
    }

    private MigrationStats run(Session s, Flight f) throws MigrationException {
        String guest = f.guest;
        String target = f.request.target().host();
        long tick = Math.min(PROGRESS_TICK_MS, config.pollInterval().toMillis());
        ScheduledFuture<?> poller;
        try {
            poller = background.scheduleWithFixedDelay(() -> tick(s, f), 0, tick, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            throw refused("the libvirt driver of host " + host + " is closed: the agent is stopping, retry on its successor");
        }
        LibvirtException failure = null;
        try {
            if (f.abortReason == null) {
                refreshTargetPools(f);
            }
            if (f.abortReason == null) {
                LOG.info("migrating {} from {} to {} at {} (flags {}, params {})", guest, host, target, f.call.destination(),
                        f.call.flags(), f.call.params().keySet());
                if (f.call.params().isEmpty()) {
                    // libvirt-java 0.5.4 fails on an empty parameter array; virDomainMigrateToURI is the same call without one.
                    f.dom.migrateToURI(f.call.destination(), f.call.flags(), null, 0);
                } else {
                    f.dom.migrateToURI(f.call.destination(), f.call.typedParameters(), f.call.flags());
                }
            }
        } catch (LibvirtException e) {
            failure = e;
        } finally {
            f.endNs = System.nanoTime();
            poller.cancel(false);
            synchronized (f) {
                f.done = true;
            }
        }
        if (failure == null && f.abortReason == null) {
            MigrationStats stats = completedStats(f);
            noteThrottle(f);
            f.progress.progress(100, stats);
            return stats;
        }
        MigrationStats stats;
        synchronized (f) {
            stats = f.statsNow();
        }
        String msg = failure == null ? "" : message(failure);
        String where = whereIsGuest(s, f);
        String reason;
        if (f.abortReason != null) {
            reason = f.abortReason + "; " + where;
        } else {
            reason = (f.sawJob ? "migration of " + guest + " to " + target + " failed: " : "libvirt refused to migrate " + guest
                    + " to " + target + ": ") + msg + "; " + where + hint(msg, f.call.destination());
        }
        throw new MigrationException(reason, stats, failure);
    }

    /** Runs every PROGRESS_TICK_MS on a background thread while a migration runs; never throws. */
    private void tick(Session s, Flight f) {
        try {
            long now = System.nanoTime();
            if (now - f.lastQueryNs >= config.pollInterval().toNanos()) {
                f.lastQueryNs = now;
                readJob(s, f);
            }
            if (f.call.timeoutMs() > 0 && !f.timeoutHandled && f.abortReason == null) {
                long elapsedMs;
                synchronized (f) {
                    // Only once memory flows: libvirt reads the guest's state when it prepares the target, and a guest
                    // paused before then would be left paused there (it adds VIR_MIGRATE_PAUSED itself).
                    boolean copying = f.sawJob && (f.iteration >= 1 || f.transferredBytes > 0);
                    elapsedMs = f.done || !copying ? -1 : Math.max(f.jobElapsedMs, (now - f.startNs) / 1_000_000);
                }
                if (elapsedMs >= f.call.timeoutMs()) {
                    onTimeout(s, f);
                }
            }
            if (f.abortReason == null && !f.postCopy && Instant.now().isAfter(f.request.deadline())) {
                f.abortReason = "aborted: the deadline " + f.request.deadline() + " passed before the migration of " + f.guest
                        + " finished (allow more time or a faster migration mode)";
            }
            if (f.abortReason != null && !f.abortSent) {
                sendAbort(f);
            }
            synchronized (f) {
                if (!f.done) {
                    f.progress.progress(f.percent, f.statsNow());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("progress poll of the migration of {} failed: {}", f.guest, e.toString());
        }
    }

    private void readJob(Session s, Flight f) {
        DomainJobStats js;
        try {
            js = f.dom.getJobStats(0);
        } catch (LibvirtException e) {
            LOG.debug("no job stats for {}: {}", f.guest, message(e));
            return;
        }
        if (js.type == JOB_NONE) {
            return;
        }
        Map<String, Long> v = values(js.stats);
        synchronized (f) {
            f.sawJob = true;
            f.apply(v, false);
        }
        if (f.call.maxDowntimeMs() > 0 && !f.downtimeSet) {
            try {
                f.dom.migrateSetMaxDowntime(f.call.maxDowntimeMs());
                f.downtimeSet = true;
            } catch (LibvirtException e) {
                LOG.warn("could not set the maximum downtime of {}'s migration to {} ms: {}", f.guest, f.call.maxDowntimeMs(), message(e));
                f.downtimeSet = true;
            }
        }
        if (f.call.startPostCopy() && !f.postCopy && f.iteration > MigrationCall.POST_COPY_AFTER_ROUNDS && f.abortReason == null) {
            try {
                NativeLibvirt.startPostCopy(s.conn.pointer(), f.uuid);
                f.postCopy = true;
                LOG.info("migration of {} switched to post-copy after {} pre-copy rounds", f.guest, f.iteration - 1);
                f.progress.note("switched to post-copy after " + (f.iteration - 1) + " pre-copy rounds");
            } catch (NativeLibvirt.NativeException e) {
                LOG.warn("could not switch the migration of {} to post-copy: {}", f.guest, e.getMessage());
            }
        }
    }

    /**
     * Virsh's {@code --timeout}: the live migration has run that long and is not done. As virsh
     * ({@code virshMigrateTimeout}) does, suspend the guest so the rest is copied while it is paused
     * (libvirt resumes it on the target, unless {@code suspendOnTarget} asks otherwise, and on this
     * host if the migration fails), or with {@code --timeout-postcopy} switch to post-copy. Runs on
     * the poller thread; never throws.
     */
    private void onTimeout(Session s, Flight f) {
        f.timeoutHandled = true;
        long seconds = f.call.timeoutMs() / 1000;
        if (f.postCopy) {
            return; // already in post-copy: the guest runs on the target and the rest follows on demand
        }
        if (f.call.timeoutPostCopy()) {
            try {
                NativeLibvirt.startPostCopy(s.conn.pointer(), f.uuid);
                f.postCopy = true;
                LOG.info("migration of {} to {} not done after the {} s timeout: switched to post-copy", f.guest,
                        f.request.target().host(), seconds);
                f.progress.note("switched to post-copy when the " + seconds + " s timeout passed");
            } catch (NativeLibvirt.NativeException e) {
                LOG.warn("could not switch the migration of {} to post-copy at its {} s timeout: {}", f.guest, seconds, e.getMessage());
                f.progress.note("could not switch to post-copy when the " + seconds + " s timeout passed (" + e.getMessage()
                        + "); pre-copy went on");
            }
            return;
        }
        try {
            if (state(f.dom.getInfo().state) != GuestState.RUNNING) {
                return; // paused already (by its owner, or for the switch-over): nothing left to speed up
            }
            f.dom.suspend();
            f.suspendedAtNs = System.nanoTime();
            LOG.info("migration of {} to {} not done after the {} s timeout: suspended the guest so it completes paused",
                    f.guest, f.request.target().host(), seconds);
            f.progress.note("paused on " + host + " when the " + seconds + " s timeout passed and completed paused");
        } catch (LibvirtException e) {
            // Typically the migration ended in between; if not, it carries on live.
            LOG.warn("could not suspend {} at its migration's {} s timeout: {}", f.guest, seconds, message(e));
        }
    }

    private static void noteThrottle(Flight f) {
        if (f.throttlePercent > 0) {
            f.progress.note("auto-converge slowed the guest's vCPUs by up to " + f.throttlePercent + " %");
        }
    }

    private void sendAbort(Flight f) {
        try {
            f.dom.abortJob();
            f.abortSent = true;
        } catch (LibvirtException e) {
            // No job yet (it is still being set up): the next tick tries again.
            LOG.debug("abort of {}'s migration not sent yet: {}", f.guest, message(e));
        }
    }

    /**
     * The finished job's figures, with the real downtime. The source keeps them only while the guest is
     * still defined there; otherwise the target has them, read over a short read-only connection.
     */
    private MigrationStats completedStats(Flight f) {
        Map<String, Long> done = completedJob(f.dom);
        if (done == null) {
            done = completedJobOnTarget(f);
        }
        synchronized (f) {
            if (done != null) {
                f.apply(done, true);
            }
            MigrationStats now = f.statsNow();
            long downtimeMs = now.downtimeMs();
            if (f.suspendedAtNs != 0) {
                // QEMU counts only its own switch-over; the guest has been paused since the timeout suspended it.
                long end = f.endNs == 0 ? System.nanoTime() : f.endNs;
                downtimeMs = Math.max(downtimeMs, (end - f.suspendedAtNs) / 1_000_000);
            }
            return new MigrationStats(now.transferredMiB(), 0, now.rounds(), now.elapsedMs(), downtimeMs, now.dirtyRateMiBps());
        }
    }

    private static Map<String, Long> completedJob(Domain d) {
        try {
            DomainJobStats js = d.getJobStats(JOB_STATS_COMPLETED);
            return js.type == JOB_COMPLETED ? values(js.stats) : null;
        } catch (LibvirtException e) {
            LOG.debug("no completed job stats: {}", message(e));
            return null;
        }
    }

    /**
     * A pool lists the volumes it saw when it was started or last refreshed, so the target's pool does
     * not know a volume made on shared storage from another host, and libvirt refuses to migrate a guest
     * using it as a {@code type='volume'} disk ("Storage volume not found", seen on the test bed). So the
     * pools of the guest's volume disks are refreshed on the target first. Best effort: where the agent
     * may only read the target's libvirt, the migration goes ahead and the failure's hint says what to do.
     */
    private void refreshTargetPools(Flight f) {
        java.util.Set<String> pools;
        try {
            pools = new java.util.TreeSet<>(DomainXml.parse(f.dom.getXMLDesc(0)).disks().stream().map(Disk::pool)
                    .filter(p -> !p.isEmpty()).toList());
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("no volume disks of {} read before migrating: {}", f.guest, e.getMessage());
            return;
        }
        if (pools.isEmpty()) {
            return;
        }
        org.libvirt.Connect target;
        try {
            target = new org.libvirt.Connect(f.call.destination());
        } catch (LibvirtException e) {
            LOG.warn("could not refresh storage pools {} on {} before migrating {}: {}", pools, f.call.destination(), f.guest,
                    message(e));
            return;
        }
        try {
            for (String name : pools) {
                try {
                    org.libvirt.StoragePool p = target.storagePoolLookupByName(name);
                    try {
                        if (active(p.getInfo())) {
                            p.refresh(0);
                        }
                    } finally {
                        free(p);
                    }
                } catch (LibvirtException e) {
                    LOG.warn("could not refresh storage pool {} on {} before migrating {}: {}", name, f.call.destination(),
                            f.guest, message(e));
                }
            }
        } finally {
            try {
                target.close();
            } catch (LibvirtException e) {
                LOG.debug("closing the connection to {} failed: {}", f.call.destination(), message(e));
            }
        }
    }

    private Map<String, Long> completedJobOnTarget(Flight f) {
        if (f.request.mode() == MigrationMode.OFFLINE) {
            return null;
        }
        try {
            return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                org.libvirt.Connect target = new org.libvirt.Connect(f.call.destination(), true);
                try {
                    Domain d = target.domainLookupByUUIDString(f.uuid);
                    try {
                        return completedJob(d);
                    } finally {
                        free(d);
                    }
                } finally {
                    target.close();
                }
            } catch (LibvirtException e) {
                LOG.debug("completed job stats of {} not readable on {}: {}", f.guest, f.call.destination(), message(e));
                return null;
            }
            }, background).get(2, TimeUnit.SECONDS); // only the downtime figure depends on it: never wait long
        } catch (Exception e) {
            LOG.debug("completed job stats of {} not read from the target: {}", f.guest, e.toString());
            return null;
        }
    }

    /** Where the guest is after a failed or aborted migration, checked, not assumed. */
    private String whereIsGuest(Session s, Flight f) {
        try {
            if (!s.conn.isAlive()) {
                lost(s, "the connection dropped during a migration");
                return "whether " + f.guest + " still runs on " + host + " is unknown: the connection to libvirt was lost; check the host";
            }
            Domain d = s.conn.domainLookupByName(f.guest);
            try {
                GuestState now = state(d.getInfo().state);
                if (now.isActive()) {
                    return "the guest stays on " + host + " (" + now.name().toLowerCase(Locale.ROOT) + ")";
                }
                return f.before.isActive() ? "guest " + f.guest + " is no longer running on " + host + ": look for it on "
                        + f.request.target().host() : "the guest's definition stays on " + host;
            } finally {
                free(d);
            }
        } catch (LibvirtException e) {
            return "guest " + f.guest + " is no longer on " + host + " (" + message(e) + "): look for it on " + f.request.target().host();
        }
    }

    private static String hint(String libvirtMessage, String destination) {
        String m = libvirtMessage.toLowerCase(Locale.ROOT);
        if (m.contains("incremental storage migration")) {
            return ". With copy-storage-inc the target must already have each disk image at the same path (copy or create"
                    + " it there first), or use copy-storage-all";
        }
        if (m.contains("no storage pool with matching target path")) {
            return ". Define a storage pool at that path on the target: copy-storage creates the disks in it";
        }
        if (m.contains("cache other than none")) {
            return ". Set cache='none' on the guest's disks, or allow unsafe migration";
        }
        if (m.contains("unsafe")) {
            return ". Use shared storage, copy storage, or allow unsafe migration";
        }
        if (m.contains("storage vol") && m.contains("not found")) {
            return ". The target's pool of that name lacks the volume: define the pool on the target over the same"
                    + " storage, and run virsh pool-refresh with the pool's name there if the volume was made from another host";
        }
        if (m.contains("same host")) {
            return ". The target has the same host UUID as this host: give each libvirtd its own host_uuid in libvirtd.conf";
        }
        if (m.contains("not supported")) {
            return ". This hypervisor driver cannot migrate guests: run the agent against a qemu:// URI";
        }
        if (m.contains("connect") || m.contains("no route") || m.contains("refused")) {
            return ". Check that the target's libvirtd is reachable at " + destination + " from this host";
        }
        return ". See libvirtd's log on both hosts for details";
    }

    // ---- after the agent restarted -------------------------------------------------------------

    /**
     * A peer-to-peer migration is one job of the source's libvirtd, which runs it to its end whether
     * or not the agent that called {@code virDomainMigrateToURI3} is still connected (libvirt
     * cancels on a client's disconnect only for non-peer-to-peer migrations, between their phases).
     * So a restarted agent asks libvirt: a job still running on the guest here is our migration
     * (operation {@code migration_out}); otherwise the target's libvirtd, over a short read-only
     * connection, tells whether the guest runs there, and this host's completed-job stats (kept by
     * libvirtd while the domain exists here) say why a failed one failed.
     */
    @Override
    public MigrationJob inspectMigration(String guest, String target, Optional<HostFacts> targetFacts, MigrationMode mode)
            throws DriverException {
        validName("guest", guest);
        validName("target", target);
        Session s = session();
        Domain dom;
        try {
            dom = lookup(s, guest);
        } catch (LibvirtException e) {
            throw failure(s, "look up guest " + guest, e);
        }
        if (dom != null) {
            try {
                Map<String, Long> job = runningMigration(dom);
                if (job != null) {
                    Flight view = new Flight(guest, "", dom, null, null, null, GuestState.RUNNING);
                    synchronized (view) {
                        view.apply(job, false);
                        return new MigrationJob.Running(view.percent, view.statsNow());
                    }
                }
            } finally {
                free(dom);
            }
        }
        return located(s, guest, target, targetFacts, mode);
    }

    /** Follows, as {@link #migrate} does, a job that {@link #inspectMigration} found running; never starts one. */
    @Override
    public MigrationStats followMigration(MigrationRequest request, MigrationProgress progress) throws MigrationException {
        String guest = request.guest();
        Session s;
        try {
            s = session();
        } catch (DriverException e) {
            throw refused(e.getMessage());
        }
        Domain dom;
        try {
            dom = lookup(s, guest);
        } catch (LibvirtException e) {
            throw refused(failure(s, "look up guest " + guest, e).getMessage());
        }
        if (dom == null) {
            throw refused("guest " + guest + " is not on host " + host + ": no migration of it can run here");
        }
        try {
            if (runningMigration(dom) == null) {
                throw refused("no migration of " + guest + " is running on host " + host + ": inspect it again to learn how it ended");
            }
            MigrationCall call;
            try {
                call = MigrationCall.of(request.mode(), request.options(), request.target());
            } catch (IllegalArgumentException e) {
                // Only the switch to post-copy needs the call; the job itself is libvirtd's.
                call = new MigrationCall(request.target().libvirtUri(), 0, Map.of(), 0, false, 0, false);
            }
            GuestState state;
            String uuid;
            try {
                state = state(dom.getInfo().state);
                uuid = dom.getUUIDString();
            } catch (LibvirtException e) {
                throw refused(failure(s, "read the state of guest " + guest, e).getMessage());
            }
            Flight f = new Flight(guest, uuid, dom, request, call, progress, state);
            f.sawJob = true;
            f.downtimeSet = true; // the run that started the job set it
            if (flights.putIfAbsent(guest, f) != null) {
                throw refused("guest " + guest + " is already being followed: wait for that migration to end or abort it");
            }
            try {
                return follow(s, f);
            } finally {
                flights.remove(guest, f);
            }
        } finally {
            free(dom);
        }
    }

    private MigrationStats follow(Session s, Flight f) throws MigrationException {
        long tick = Math.min(PROGRESS_TICK_MS, config.pollInterval().toMillis());
        ScheduledFuture<?> poller;
        try {
            poller = background.scheduleWithFixedDelay(() -> tick(s, f), 0, tick, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            throw refused("the libvirt driver of host " + host + " is closed: the agent is stopping, retry on its successor");
        }
        boolean interrupted = false;
        try {
            while (runningMigration(f.dom) != null) {
                try {
                    Thread.sleep(tick);
                } catch (InterruptedException e) {
                    // The agent is stopping: stop the job as a stopping agent does, then wait for libvirt to end it.
                    interrupted = true;
                    if (f.abortReason == null && !f.postCopy) {
                        f.abortReason = "aborted: the agent on host " + host + " is stopping";
                    }
                }
                if (!isAlive(s)) {
                    lost(s, "the connection dropped while following a migration");
                    throw new MigrationException("lost the connection to libvirt at " + config.uri() + " while following the"
                            + " migration of " + f.guest + "; libvirtd carries the job on: check the host", f.statsNow());
                }
            }
        } finally {
            f.endNs = System.nanoTime();
            poller.cancel(false);
            synchronized (f) {
                f.done = true;
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        MigrationJob end;
        try {
            end = located(s, f.guest, f.request.target().host(), Optional.of(f.request.target()), f.request.mode());
        } catch (DriverException e) {
            throw new MigrationException(e.getMessage(), f.statsNow(), e);
        }
        if (end instanceof MigrationJob.Moved) {
            MigrationStats stats = completedStats(f);
            noteThrottle(f);
            f.progress.progress(100, stats);
            return stats;
        }
        String why = end instanceof MigrationJob.Stayed st ? st.why() : ((MigrationJob.Missing) end).why();
        String reason = f.abortReason != null ? f.abortReason + "; " + whereIsGuest(s, f)
                : (why.isEmpty() ? "migration of " + f.guest + " to " + f.request.target().host() + " failed" : why)
                + "; " + whereIsGuest(s, f);
        throw new MigrationException(reason, f.statsNow());
    }

    /** Names reach libvirt only when they are names ({@link Check#NAME}): nothing a URI or XML could misread. */
    private static void validName(String what, String name) throws DriverException {
        try {
            Check.name(what, name);
        } catch (RuntimeException e) {
            throw new DriverException(e.getMessage() + "; nothing was asked of libvirt");
        }
    }

    /** The domain, or null when this host has none of that name. */
    private static Domain lookup(Session s, String guest) throws LibvirtException {
        try {
            return s.conn.domainLookupByName(guest);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return null;
            }
            throw e;
        }
    }

    private static boolean isAlive(Session s) {
        try {
            return s.conn.isAlive();
        } catch (LibvirtException e) {
            return false;
        }
    }

    /**
     * The job stats of an outgoing migration running on the domain, or null when none runs. Before
     * libvirt 3.3 jobs carry no operation: a running job then counts as a migration.
     */
    private static Map<String, Long> runningMigration(Domain dom) {
        try {
            DomainJobStats js = dom.getJobStats(0);
            if (js.type == JOB_NONE) {
                return null;
            }
            Map<String, Long> v = values(js.stats);
            return v.getOrDefault("operation", (long) JOB_OPERATION_MIGRATION_OUT) == JOB_OPERATION_MIGRATION_OUT ? v : null;
        } catch (LibvirtException e) {
            // An inactive domain (e.g. just migrated away) has no job to report.
            LOG.debug("no job stats: {}", message(e));
            return null;
        }
    }

    /** No job runs: where the guest is, on this host or on the target, and what libvirt remembers of the last job. */
    private MigrationJob located(Session s, String guest, String target, Optional<HostFacts> targetFacts, MigrationMode mode)
            throws DriverException {
        GuestState here = null;
        String lastJob = "";
        MigrationStats lastStats = MigrationStats.NONE;
        try {
            Domain dom = lookup(s, guest);
            if (dom != null) {
                try {
                    here = state(dom.getInfo().state);
                    DomainJobStats done = dom.getJobStats(JOB_STATS_COMPLETED);
                    Map<String, Long> v = values(done.stats);
                    if (v.getOrDefault("operation", (long) JOB_OPERATION_MIGRATION_OUT) == JOB_OPERATION_MIGRATION_OUT) {
                        String errmsg = strings(done.stats).getOrDefault("errmsg", "");
                        if (done.type == JOB_FAILED) {
                            lastJob = "migration of " + guest + " to " + target + " failed"
                                    + (errmsg.isEmpty() ? "" : ": " + errmsg);
                        } else if (done.type == JOB_CANCELLED) {
                            lastJob = "the migration of " + guest + " to " + target + " was aborted";
                        }
                        if (done.type == JOB_FAILED || done.type == JOB_CANCELLED) {
                            Flight view = new Flight(guest, "", dom, null, null, null, here);
                            synchronized (view) {
                                view.apply(v, true);
                                lastStats = view.statsNow();
                            }
                        }
                    }
                } catch (LibvirtException e) {
                    if (here == null) {
                        throw e;
                    }
                    LOG.debug("no completed job stats for {}: {}", guest, message(e));
                } finally {
                    free(dom);
                }
            }
        } catch (LibvirtException e) {
            throw failure(s, "look up guest " + guest, e);
        }
        Boolean there = targetFacts.map(f -> onTarget(f, guest, mode)).orElse(null);
        boolean offline = mode == MigrationMode.OFFLINE;
        if (Boolean.TRUE.equals(there) && (!offline || here == null)) {
            return new MigrationJob.Moved(MigrationStats.NONE);
        }
        if (here != null && (offline || here.isActive())) {
            return new MigrationJob.Stayed(lastJob, lastStats);
        }
        return new MigrationJob.Missing("guest " + guest + (here == null ? " is not defined on " : " is not running on ") + host
                + (there == null ? " and the target " + target + "'s libvirt could not be asked"
                : " and not " + (offline ? "defined" : "running") + " on " + target));
    }

    /** Whether the target's libvirtd has the guest (running or paused; defined, for offline); null when it cannot be asked. */
    private Boolean onTarget(HostFacts target, String guest, MigrationMode mode) {
        if (target.libvirtUri().isEmpty()) {
            return null;
        }
        try {
            MigrationCall.destination(target);
        } catch (IllegalArgumentException e) {
            LOG.warn("not asking {}'s libvirt about {}: {}", target.host(), guest, e.getMessage());
            return null;
        }
        try {
            return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    org.libvirt.Connect c = new org.libvirt.Connect(target.libvirtUri(), true);
                    try {
                        Domain d = c.domainLookupByName(guest);
                        try {
                            return mode == MigrationMode.OFFLINE || state(d.getInfo().state).isActive();
                        } finally {
                            free(d);
                        }
                    } catch (LibvirtException e) {
                        if (e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                            return Boolean.FALSE;
                        }
                        throw e;
                    } finally {
                        c.close();
                    }
                } catch (LibvirtException e) {
                    LOG.warn("could not ask {}'s libvirt at {} about {}: {}", target.host(), target.libvirtUri(), guest, message(e));
                    return null;
                }
            }, background).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("could not ask {}'s libvirt at {} about {}: {}", target.host(), target.libvirtUri(), guest, e.toString());
            return null;
        }
    }

    private static Map<String, String> strings(TypedParameter[] params) {
        Map<String, String> out = new HashMap<>();
        if (params != null) {
            for (TypedParameter p : params) {
                if (p instanceof org.libvirt.TypedStringParameter sp && p.field != null && sp.value != null) {
                    out.put(p.field, sp.value);
                }
            }
        }
        return out;
    }

    @Override
    public boolean abort(String guest) throws DriverException {
        validName("guest", guest);
        Flight f = flights.get(guest);
        if (f == null) {
            return false;
        }
        synchronized (f) {
            if (f.done) {
                return false;
            }
            if (f.postCopy) {
                throw new DriverException("cannot abort the migration of " + guest + ": it is in post-copy and the guest"
                        + " already runs on " + f.request.target().host() + "; wait for it to finish");
            }
            if (f.abortReason == null) {
                long ms = (System.nanoTime() - f.startNs) / 1_000_000;
                f.abortReason = "aborted: the migration of " + guest + " to " + f.request.target().host() + " was cancelled after "
                        + ms + " ms";
            }
        }
        sendAbort(f);
        return true;
    }

    /** One migration in flight; the poller writes its figures, the migrating thread reads them. */
    private static final class Flight {
        final String guest;
        final String uuid;
        final Domain dom;
        final MigrationRequest request;
        final MigrationCall call;
        final MigrationProgress progress;
        final GuestState before;
        final long startNs = System.nanoTime();
        volatile String abortReason;
        volatile boolean abortSent;
        volatile boolean postCopy;
        volatile boolean sawJob;
        volatile long lastQueryNs = Long.MIN_VALUE / 2;
        volatile double dirtyRateMiBps;
        volatile int iteration;
        /** Highest vCPU throttle auto-converge applied, in percent. */
        volatile int throttlePercent;
        boolean downtimeSet;
        /** Virsh's timeout has been acted on, or found moot. */
        volatile boolean timeoutHandled;
        /** When the timeout suspended the guest, 0 when it did not; the guest stays paused until it runs on the target. */
        volatile long suspendedAtNs;
        /** When the migrating call returned. */
        volatile long endNs;
        // guarded by this
        boolean done;
        int percent;
        long transferredBytes;
        long remainingBytes;
        long jobElapsedMs;
        long downtimeMs;

        Flight(String guest, String uuid, Domain dom, MigrationRequest request, MigrationCall call, MigrationProgress progress,
               GuestState before) {
            this.guest = guest;
            this.uuid = uuid;
            this.dom = dom;
            this.request = request;
            this.call = call;
            this.progress = progress;
            this.before = before;
        }

        /**
         * Job stats fields as libvirt names them ({@code VIR_DOMAIN_JOB_*}). {@code downtime} of a running
         * job is QEMU's expectation, so it is taken only from a completed job.
         */
        void apply(Map<String, Long> v, boolean completed) {
            long total = v.getOrDefault("data_total", 0L);
            long processed = v.getOrDefault("data_processed", 0L);
            transferredBytes = Math.max(transferredBytes, processed);
            remainingBytes = v.getOrDefault("data_remaining", remainingBytes);
            if (total > 0) {
                percent = (int) Math.max(percent, Math.min(99, processed * 100 / total));
            }
            iteration = (int) Math.max(iteration, v.getOrDefault("memory_iteration", 0L));
            jobElapsedMs = Math.max(jobElapsedMs, v.getOrDefault("time_elapsed", 0L));
            if (completed) {
                downtimeMs = v.getOrDefault("downtime", downtimeMs);
            }
            throttlePercent = (int) Math.max(throttlePercent, v.getOrDefault("auto_converge_throttle", 0L));
            long pageSize = v.getOrDefault("memory_page_size", 4096L);
            dirtyRateMiBps = v.getOrDefault("memory_dirty_rate", 0L) * pageSize / MIB;
        }

        MigrationStats statsNow() {
            long elapsed = Math.max(jobElapsedMs, (System.nanoTime() - startNs) / 1_000_000);
            return new MigrationStats(Math.round(transferredBytes / MIB), Math.round(Math.max(0, remainingBytes) / MIB),
                    Math.max(0, iteration - 1), Math.max(0, elapsed), Math.max(0, downtimeMs), Math.max(0, dirtyRateMiBps));
        }
    }

    private static Map<String, Long> values(TypedParameter[] params) {
        Map<String, Long> out = new HashMap<>();
        if (params == null) {
            return out;
        }
        for (TypedParameter p : params) {
            Long v = p instanceof TypedUlongParameter u ? Long.valueOf(u.value)
                    : p instanceof TypedLongParameter l ? Long.valueOf(l.value)
                    : p instanceof TypedUintParameter u ? Long.valueOf(u.value)
                    : p instanceof TypedIntParameter i ? Long.valueOf(i.value)
                    : p instanceof TypedDoubleParameter d ? Long.valueOf(Math.round(d.value)) : null;
            if (v != null && p.field != null) {
                out.put(p.field, v);
            }
        }
        return out;
    }

    // ---- connection ----------------------------------------------------------------------------

    @FunctionalInterface
    private interface Call<T> {
        T run(Session s) throws LibvirtException;
    }

    private <T> T call(String what, Call<T> c) throws DriverException {
        Session s = session();
        try {
            return c.run(s);
        } catch (LibvirtException e) {
            throw failure(s, what, e);
        }
    }

    private Session session() throws DriverException {
        synchronized (lock) {
            if (closed) {
                throw new DriverException("the libvirt driver of host " + host + " is closed: create a new one to use libvirt again");
            }
            if (session == null) {
                throw new DriverException("libvirt at " + config.uri() + " has been unreachable since " + outageSince + " (" + outage
                        + "); the driver reconnects by itself: check that libvirtd runs on host " + host);
            }
            return session;
        }
    }

    /** A failed call: a lost connection starts reconnecting; anything else is libvirt's answer, verbatim. */
    private DriverException failure(Session s, String what, LibvirtException e) {
        String msg = message(e);
        boolean alive;
        try {
            alive = s.conn.isAlive();
        } catch (LibvirtException dead) {
            alive = false;
        }
        if (!alive) {
            lost(s, msg);
            return new DriverException("lost the connection to libvirt at " + config.uri() + " while trying to " + what + " (" + msg
                    + "); the driver reconnects by itself: check that libvirtd runs on host " + host, e);
        }
        return new DriverException("libvirt could not " + what + " on host " + host + ": " + msg
                + ". See libvirtd's log for details", e);
    }

    private Session open() throws LibvirtException {
        NativeConnect c = new NativeConnect(config.uri());
        try {
            Session s = new Session(c, HostCapabilities.parse(c.getCapabilities()));
            try {
                c.registerCloseListener((conn, reason) -> lost(s, "libvirt closed the connection: "
                        + reason.name().toLowerCase(Locale.ROOT)));
            } catch (LibvirtException e) {
                // Without close callbacks a loss is still noticed when a call fails.
                LOG.info("libvirt at {} offers no close callback ({}); connection loss is detected on failed calls", config.uri(), message(e));
            }
            return s;
        } catch (LibvirtException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    /** Called on any thread, including libvirt's event loop: only bookkeeping here, the rest in the background. */
    private void lost(Session s, String reason) {
        synchronized (lock) {
            if (closed || session != s) {
                return;
            }
            session = null;
            outage = reason;
            outageSince = Instant.now();
            retryDelayMs = FIRST_RETRY.toMillis();
            LOG.warn("lost the connection to libvirt at {} ({}); reconnecting in {} ms", config.uri(), reason, retryDelayMs);
            schedule(this::reconnect, retryDelayMs);
            schedule(() -> dispose(s), 0);
        }
    }

    private void reconnect() {
        synchronized (lock) {
            if (closed || session != null) {
                return;
            }
        }
        Session s;
        try {
            s = open();
        } catch (LibvirtException | RuntimeException e) {
            retryLater("reconnecting failed: " + message(e));
            return;
        }
        synchronized (eventsLock) {
            if (listener != null) {
                try {
                    registerEvents(s);
                } catch (LibvirtException e) {
                    dispose(s);
                    retryLater("registering for events after reconnecting failed: " + message(e));
                    return;
                }
            }
            synchronized (lock) {
                if (closed) {
                    dispose(s);
                    return;
                }
                session = s;
                outage = "";
                retryDelayMs = FIRST_RETRY.toMillis();
            }
        }
        LOG.info("reconnected to libvirt at {} for host {}", config.uri(), host);
        reconnected.run();
    }

    @Override
    public void onReconnected(Runnable resync) {
        reconnected = resync == null ? () -> { } : resync;
    }

    private void retryLater(String reason) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            outage = reason;
            retryDelayMs = Math.min(retryDelayMs * 2, MAX_RETRY.toMillis());
            LOG.warn("libvirt at {} is still unreachable ({}); next try in {} ms", config.uri(), reason, retryDelayMs);
            schedule(this::reconnect, retryDelayMs);
        }
    }

    private void schedule(Runnable r, long delayMs) {
        try {
            background.schedule(r, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("not scheduled, the driver is closed");
        }
    }

    private void dispose(Session s) {
        synchronized (eventsLock) {
            if (s.events) {
                try {
                    s.conn.removeLifecycleListener(dispatcher);
                } catch (LibvirtException | RuntimeException e) {
                    LOG.debug("removing the event listener failed: {}", e.getMessage());
                }
                s.events = false;
            }
        }
        try {
            s.conn.unregisterCloseListener();
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("removing the close listener failed: {}", e.getMessage());
        }
        closeQuietly(s.conn);
    }

    private static void closeQuietly(NativeConnect c) {
        try {
            c.close();
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("closing a libvirt connection failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        Session s;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            s = session;
            session = null;
        }
        listener = null;
        background.shutdownNow();
        if (s != null) {
            dispose(s);
        }
    }

    @Override
    public String toString() {
        return "libvirt host " + host + " at " + config.uri();
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static MigrationException refused(String reason) {
        return new MigrationException(reason, MigrationStats.NONE);
    }

    private static void free(org.libvirt.StoragePool p) {
        try {
            p.free();
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("freeing a storage pool handle failed: {}", e.getMessage());
        }
    }

    private static void free(Domain d) {
        try {
            d.free();
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("freeing a domain handle failed: {}", e.getMessage());
        }
    }

    /** libvirt's own message, verbatim. */
    static String message(Exception e) {
        if (e instanceof LibvirtException le && le.getError() != null && le.getError().getMessage() != null) {
            return le.getError().getMessage().strip();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** libvirt's encoding major * 1,000,000 + minor * 1,000 + release, as {@code major.minor.release}. */
    static String dotted(long version) {
        return (version / 1_000_000) + "." + (version / 1_000 % 1_000) + "." + (version % 1_000);
    }
}
