package org.virtbalancer.agent.sim;

import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MigrateUri;
import org.virtbalancer.agent.driver.MigrationException;
import org.virtbalancer.agent.driver.MigrationJob;
import org.virtbalancer.agent.driver.MigrationProgress;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.agent.driver.PausedArrival;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.DomainEventKind;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.StoragePool;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A simulated data centre inside one JVM: hosts, their guests, and the network between them.
 * Any host of a fabric can migrate guests to any other host of the same fabric, and only to
 * those; {@link #driver(String)} gives each host's agent its {@link HypervisorDriver}.
 *
 * <p>Guest CPU follows a PlanetLab trace (or a constant), with one 5-minute trace sample lasting
 * {@code traceStep} of the fabric's clock, so a day of load plays in minutes. Migrations follow
 * {@link org.virtbalancer.protocol.PreCopyModel} at the link speed of the slower host, in real
 * time divided by {@code migrationSpeedup}; their stats are in simulated (unscaled) time. Not
 * modelled: link sharing between concurrent migrations, storage copy time, compression and
 * parallel connections, and dirty-rate changes during a migration.
 *
 * <p>virsh's semantics are libvirt's as seen on real hosts (RealLibvirtMigrationTest): the
 * definitions follow {@code persistent} and {@code undefineSource}; a guest paused before the
 * migration, or migrated with {@code suspendOnTarget}, is paused on the target, any other runs
 * there, also one that virsh's {@code --timeout} paused mid-way; a guest that arrived paused is
 * refused another migration until it has run ({@link PausedArrival}, {@link #resume}); a failed
 * or aborted migration leaves the guest on the source as it was before. Storage is checked as libvirt checks it: a
 * writable disk outside shared storage needs {@code unsafe} or a storage copy, one on shared
 * storage needs cache mode {@code none} (or {@code directsync}) unless {@code unsafe}; a storage
 * copy needs a pool at the same path on the target and, incremental, the image already there
 * ({@link #addImage}). The migrate URI may only name the target's own migration address.
 *
 * <h2>The hypervisor carries a migration, not the agent</h2>
 * Our libvirt driver always migrates peer-to-peer ({@code VIR_MIGRATE_PEER2PEER}): the agent makes
 * one {@code virDomainMigrateToURI3} call and the source's libvirtd runs the whole job itself,
 * talking to the target's libvirtd. libvirt cancels an outgoing migration when the client that
 * started it disconnects only for the client-driven (non-peer-to-peer) protocol, between its
 * phases ({@code qemuMigrationSrcCleanup}, "called for outgoing non-p2p migrations when a
 * connection to the client which initiated the migration was closed"); a peer-to-peer job is a
 * single API call that the daemon runs to its end whether the caller is still there or not
 * (libvirt's own test suite notes that {@code kill -9} of the client cannot stop a p2p migration:
 * use {@code virsh domjobabort}). So when the agent dies mid-migration the job carries on, and it
 * ends as it would have: on the target if it converges, back on the source if it fails. What dies
 * with the agent is what the agent itself adds on top: progress reports, and enforcing the
 * command's deadline (the agent aborts the job when it passes). A restarted agent finds the job
 * with {@link HypervisorDriver#inspectMigration} and, while it still runs, follows it with
 * {@link HypervisorDriver#followMigration}, which enforces the deadline again.
 *
 * <p>This fabric does the same: a migration's timeline is fixed when it starts (its plan, and an
 * injected failure if any) and depends only on the fabric's clock, so it completes at
 * start + duration whether or not any thread waits for it. Whoever looks at the fabric after that
 * moment (the migrating thread, a driver call, a view) sees it completed; a thread that
 * {@link HypervisorDriver#migrate migrates} or follows only waits, reports progress and enforces
 * the deadline.
 *
 * <h2>State that outlives the process</h2>
 * Built with {@link Builder#stateDir}, the fabric keeps each host's hypervisor state (its guests
 * with their definitions and load sources, the migrations out of it in flight with their start
 * time and timeline, and how the last migration of each guest ended) in
 * {@code <stateDir>/<host>/simulated-host.json}, replaced atomically on every change. A fabric
 * built again on the same directory restores every host that has such a file (instead of the
 * builder's guests for it): migrations that ended meanwhile in "hypervisor time" are completed at
 * once, the others run on. A migration's state is written to its target's file before its
 * source's, and the source's file (which holds the flight) decides: a completion cut short between
 * the two writes is simply applied again. Not kept: {@link #failNextMigration} hooks not yet used,
 * images added with {@link #addImage} or copied by a migration, and {@link #removeHost} (a
 * removed host comes back as it was with the next process).
 *
 * <p>Thread-safe; state changes hold the fabric's lock, migrations wait outside it.
 */
public final class SimulatedFabric {
    /** Progress is reported at least this often while a migration runs. */
    static final long PROGRESS_TICK_MS = 100;

    private final Clock clock;
    private final Instant epoch;
    private final Duration traceStep;
    private final double migrationSpeedup;
    private final PlanetLabTraces traces;
    private final Path stateDir;
    private final Map<String, SimHost> hosts = new LinkedHashMap<>();
    private final Map<String, Consumer<DomainEvent>> listeners = new ConcurrentHashMap<>();
    /** Migrations in flight by guest name. */
    private final Map<String, Flight> flights = new HashMap<>();
    private final Map<String, String> failNext = new HashMap<>();

    private SimulatedFabric(Builder b) {
        this.clock = b.clock;
        this.traceStep = b.traceStep;
        this.migrationSpeedup = b.migrationSpeedup;
        this.traces = b.traces;
        this.stateDir = b.stateDir;
        Map<String, HostStateFile.Saved> saved = new LinkedHashMap<>();
        if (stateDir != null) {
            for (HostSpec h : b.hosts) {
                new HostStateFile(stateDir, h.id()).read().ifPresent(s -> saved.put(h.id(), s));
            }
        }
        this.epoch = saved.isEmpty() ? b.clock.instant() : Instant.ofEpochMilli(saved.values().iterator().next().traceEpochMs());
        b.hosts.forEach(h -> hosts.put(h.id(), new SimHost(h)));
        for (HostSpec h : b.hosts) {
            HostStateFile.Saved s = saved.get(h.id());
            if (s != null) {
                restoreGuests(hosts.get(h.id()), s);
            } else {
                for (GuestSpec g : b.guests.getOrDefault(h.id(), List.of())) {
                    placeGuest(h.id(), g, new ArrayList<>());
                }
            }
        }
        saved.forEach((host, s) -> restoreMigrations(hosts.get(host), s));
        synchronized (this) {
            // Migrations that ended while no process ran this fabric: the hypervisor finished them meanwhile.
            settleDue(new ArrayList<>());
            hosts.keySet().forEach(this::save);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures a fabric; every method returns this builder. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private Duration traceStep = PlanetLabTraces.SAMPLE_PERIOD;
        private double migrationSpeedup = 1;
        private PlanetLabTraces traces;
        private Path stateDir;
        private final List<HostSpec> hosts = new ArrayList<>();
        private final Map<String, List<GuestSpec>> guests = new LinkedHashMap<>();

        private Builder() {}

        /** Time source for traces and migrations; the system clock by default. */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** How long one 5-minute trace sample lasts; 5 minutes (real time) by default, e.g. 1 s in a demo. */
        public Builder traceStep(Duration value) {
            if (value == null || value.toMillis() < 1) {
                throw new IllegalArgumentException("traceStep must be at least 1 ms, got " + value);
            }
            this.traceStep = value;
            return this;
        }

        /** Divides migration wall time: 1 = real link speed, 10 = ten times faster. */
        public Builder migrationSpeedup(double value) {
            if (!(value > 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException("migrationSpeedup must be a finite number above 0, got " + value);
            }
            this.migrationSpeedup = value;
            return this;
        }

        /** Traces to play; the shipped PlanetLab day by default. */
        public Builder traces(PlanetLabTraces value) {
            this.traces = Objects.requireNonNull(value, "traces");
            return this;
        }

        /**
         * Keeps each host's hypervisor state in {@code <dir>/<host>/simulated-host.json}, so that it
         * outlives the process as a real hypervisor outlives its agent; a host whose file exists is
         * restored from it instead of getting the guests given to this builder. The same directory
         * as the agents' {@code --state-dir} puts the file next to each host's executed commands.
         */
        public Builder stateDir(Path dir) {
            this.stateDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        public Builder host(HostSpec spec) {
            if (hosts.stream().anyMatch(h -> h.id().equals(spec.id()))) {
                throw new IllegalArgumentException("host " + spec.id() + " is listed twice: give each host its own id");
            }
            hosts.add(spec);
            return this;
        }

        /** A guest on {@code host}, which must have been added with {@link #host}. */
        public Builder guest(String host, GuestSpec spec) {
            if (hosts.stream().noneMatch(h -> h.id().equals(host))) {
                throw new IllegalArgumentException("guest " + spec.name() + " is placed on host " + host
                        + ", which is not in the fabric: add the host first");
            }
            guests.computeIfAbsent(host, k -> new ArrayList<>()).add(spec);
            return this;
        }

        public SimulatedFabric build() {
            if (traces == null) {
                traces = PlanetLabTraces.shipped();
            }
            return new SimulatedFabric(this);
        }
    }

    // ---- views ---------------------------------------------------------------------------------

    /** The driver the agent of {@code host} uses; each call gives a fresh one (the old may be closed). */
    public HypervisorDriver driver(String host) {
        synchronized (this) {
            requireHost(host);
        }
        return new SimulatedHostDriver(this, host);
    }

    public Clock clock() {
        return clock;
    }

    public Duration traceStep() {
        return traceStep;
    }

    public PlanetLabTraces traces() {
        return traces;
    }

    /** Where each host's state is kept; empty when the fabric lives only in memory. */
    public Optional<Path> stateDir() {
        return Optional.ofNullable(stateDir);
    }

    public synchronized List<String> hosts() {
        return List.copyOf(hosts.keySet());
    }

    public synchronized Optional<HostFacts> hostFacts(String host) {
        return Optional.ofNullable(hosts.get(host)).map(h -> h.facts);
    }

    /** Every guest defined or running on {@code host}; empty for an unknown host. */
    public List<GuestDescriptor> guests(String host) {
        return settled(() -> {
            SimHost h = hosts.get(host);
            return h == null ? List.<GuestDescriptor>of() : h.guests.values().stream().map(SimGuest::descriptor).toList();
        });
    }

    public Optional<GuestDescriptor> guest(String host, String name) {
        return settled(() -> {
            SimHost h = hosts.get(host);
            return Optional.ofNullable(h == null ? null : h.guests.get(name)).map(SimGuest::descriptor);
        });
    }

    /** The host where {@code guest} is running or paused. */
    public Optional<String> hostOf(String guest) {
        return settled(() -> hosts.values().stream().filter(h -> {
            SimGuest g = h.guests.get(guest);
            return g != null && g.state.isActive();
        }).map(h -> h.facts.host()).findFirst());
    }

    /** CPU cores {@code guest} uses right now (0 unless running). */
    public synchronized double cpuCores(String guest) {
        return cpuCores(find(guest));
    }

    // ---- test and demo hooks -------------------------------------------------------------------

    public void addHost(HostSpec spec) {
        synchronized (this) {
            if (hosts.containsKey(spec.id())) {
                throw new IllegalArgumentException("host " + spec.id() + " is already in the fabric: pick another id");
            }
            hosts.put(spec.id(), new SimHost(spec));
            save(spec.id());
        }
    }

    /** Removes a host with everything on it, as if it lost power; migrations to or from it fail. */
    public void removeHost(String host) {
        synchronized (this) {
            requireHost(host);
            hosts.remove(host);
        }
        listeners.remove(host);
    }

    /** Defines (and, unless SHUTOFF, starts) a guest, with libvirt's events. */
    public void addGuest(String host, GuestSpec spec) {
        List<DomainEvent> events = new ArrayList<>();
        synchronized (this) {
            placeGuest(host, spec, events);
            save(host);
        }
        emit(events);
    }

    /** Destroys and undefines a guest, with libvirt's events. */
    public void removeGuest(String host, String name) {
        List<DomainEvent> events = new ArrayList<>();
        synchronized (this) {
            SimHost h = requireHost(host);
            SimGuest g = h.guests.remove(name);
            if (g == null) {
                throw new IllegalArgumentException("host " + host + " has no guest named " + name + ": check the name");
            }
            if (g.state.isActive()) {
                events.add(event(host, name, DomainEventKind.STOPPED, "destroyed"));
            }
            if (g.persistent) {
                events.add(event(host, name, DomainEventKind.UNDEFINED, "removed"));
            }
            save(host);
        }
        emit(events);
    }

    /** Pauses a running guest, as {@code virsh suspend} does, with libvirt's event. */
    public void suspend(String host, String name) {
        setRunning(host, name, false);
    }

    /** Resumes a paused guest, as {@code virsh resume} does, with libvirt's event. */
    public void resume(String host, String name) {
        setRunning(host, name, true);
    }

    private void setRunning(String host, String name, boolean run) {
        List<DomainEvent> events = new ArrayList<>();
        synchronized (this) {
            settleDue(events);
            SimGuest g = requireHost(host).guests.get(name);
            GuestState from = run ? GuestState.PAUSED : GuestState.RUNNING;
            if (g == null || g.state != from) {
                throw new IllegalArgumentException("host " + host + " has no " + from.name().toLowerCase() + " guest named " + name
                        + ": check its name and state");
            }
            Flight f = flights.get(name);
            if (f != null && f.source.equals(host)) {
                throw new IllegalArgumentException("guest " + name + " is migrating from " + host + ": wait for the migration to end");
            }
            g.state = run ? GuestState.RUNNING : GuestState.PAUSED;
            g.pausedSinceArrival = false;
            events.add(event(host, name, run ? DomainEventKind.RESUMED : DomainEventKind.SUSPENDED, run ? "unpaused" : "paused"));
            save(host);
        }
        emit(events);
    }

    /** Pins the guest's CPU load to {@code cores}, replacing its trace. */
    public synchronized void setConstantCpu(String guest, double cores) {
        find(guest).cpu = CpuSource.constant(cores);
        saveHostOf(guest);
    }

    /**
     * Loads {@code host} to {@code fraction} of its CPUs: its running guests share that many cores
     * evenly, replacing their traces. Returns how many guests it changed.
     */
    public synchronized int loadHost(String host, double fraction) {
        if (!Double.isFinite(fraction) || fraction < 0) {
            throw new IllegalArgumentException("host load must be a finite fraction of its CPUs >= 0, got " + fraction);
        }
        SimHost h = requireHost(host);
        List<SimGuest> running = h.guests.values().stream().filter(g -> g.state == GuestState.RUNNING).toList();
        if (running.isEmpty()) {
            throw new IllegalArgumentException("host " + host + " has no running guest to carry the load: start one first");
        }
        double each = fraction * h.facts.cpus() / running.size();
        running.forEach(g -> g.cpu = CpuSource.constant(each));
        save(host);
        return running.size();
    }

    /** Makes the guest follow a PlanetLab trace from {@code offset} samples in. */
    public synchronized void followTrace(String guest, String traceName, int offset) {
        traces.percent(traceName, 0);
        find(guest).cpu = CpuSource.trace(traceName, offset);
        saveHostOf(guest);
    }

    /** Sets the page-dirty rate that the next migration of the guest starts with. */
    public synchronized void setDirtyRate(String guest, double mibPerSecond) {
        if (!Double.isFinite(mibPerSecond) || mibPerSecond < 0) {
            throw new IllegalArgumentException("dirty rate must be a finite number of MiB/s >= 0, got " + mibPerSecond);
        }
        find(guest).dirtyRateMiBps = mibPerSecond;
        saveHostOf(guest);
    }

    /**
     * An image file at {@code path} on {@code host}'s own storage, as an operator creates one on the
     * target before a {@code copy-storage-inc} migration (libvirt does not create those).
     */
    public synchronized void addImage(String host, String path) {
        requireHost(host).images.add(Objects.requireNonNull(path, "path"));
    }

    /** The next migration of {@code guest} fails half-way with {@code reason}. */
    public synchronized void failNextMigration(String guest, String reason) {
        find(guest);
        failNext.put(guest, Objects.requireNonNull(reason, "reason"));
    }

    // ---- driver operations ---------------------------------------------------------------------

    synchronized HostFacts facts(String host) throws DriverException {
        SimHost h = hosts.get(host);
        if (h == null) {
            throw new DriverException("host " + host + " is not in the simulated fabric (it was removed)");
        }
        return h.facts;
    }

    List<GuestDescriptor> guestsOf(String host) throws DriverException {
        facts(host);
        return guests(host);
    }

    HostLoad sample(String host, Duration interval) throws DriverException {
        HostFacts f = facts(host);
        return settled(() -> {
            List<GuestLoad> loads = new ArrayList<>();
            double cpu = 0;
            long mem = 0;
            double net = 0;
            double disk = 0;
            SimHost h = hosts.get(host);
            for (SimGuest g : h == null ? List.<SimGuest>of() : h.guests.values()) {
                if (!g.state.isActive()) {
                    continue;
                }
                boolean running = g.state == GuestState.RUNNING;
                GuestLoad l = new GuestLoad(g.name, cpuCores(g), g.memoryMiB, running ? g.dirtyRateMiBps : 0,
                        running ? g.netMiBps : 0, running ? g.diskMiBps : 0);
                loads.add(l);
                cpu += l.cpuCores();
                mem += l.memoryMiB();
                net += l.netMiBps();
                disk += l.diskMiBps();
            }
            return new HostLoad(f.host(), Math.max(1, interval.toMillis()), cpu, mem, net, disk, loads);
        });
    }

    void listen(String host, Consumer<DomainEvent> listener) {
        listeners.put(host, listener);
    }

    void unlisten(String host, Consumer<DomainEvent> listener) {
        if (listener != null) {
            listeners.remove(host, listener);
        }
    }

    /** Stops the migration of {@code guest} out of {@code host} at once, as {@code virDomainAbortJob}. */
    boolean abort(String host, String guest) throws DriverException {
        List<DomainEvent> events = new ArrayList<>();
        try {
            synchronized (this) {
                Flight f = flights.get(guest);
                if (f == null || !f.source.equals(host)) {
                    return false;
                }
                long now = clock.millis();
                settle(f, now, events);
                if (f.outcome != null) {
                    return false;
                }
                if (f.inPostCopy(simMs(f, now))) {
                    throw new DriverException("cannot abort the migration of " + guest + ": it is in post-copy and the guest"
                            + " already runs on " + f.target + "; wait for it to finish");
                }
                MigrationStats stats = f.plan.statsAt(simMs(f, now));
                stop(f, now, "aborted: the migration of " + guest + " to " + f.target + " was cancelled after "
                        + stats.elapsedMs() + " ms; the guest stays on " + f.source, events);
                return true;
            }
        } finally {
            emit(events);
        }
    }

    MigrationStats migrate(String source, MigrationRequest request, MigrationProgress progress) throws MigrationException {
        String guest = request.guest();
        String target = request.target().host();
        MigrationOptions options = request.options();
        List<DomainEvent> events = new ArrayList<>();
        Flight flight;
        synchronized (this) {
            settleDue(events);
            SimGuest g = checkMigration(source, request);
            double bandwidth = Math.min(hosts.get(source).facts.linkMiBps(), hosts.get(target).facts.linkMiBps());
            if (options.bandwidthMiBps() > 0) {
                bandwidth = Math.min(bandwidth, options.bandwidthMiBps());
            }
            // A paused guest dirties no memory.
            double dirty = g.state == GuestState.RUNNING ? g.dirtyRateMiBps : 0;
            String injected = failNext.remove(guest);
            MigrationPlan plan = plan(request.mode(), options, g.memoryMiB, dirty, bandwidth);
            flight = new Flight(guest, source, target, request.mode(), options, clock.millis(), request.deadline().toEpochMilli(),
                    g.state, g.memoryMiB, dirty, bandwidth, plan, injected == null ? null : plan.totalMs() / 2, injected);
            flights.put(guest, flight);
            hosts.get(target).reservedMiB += flight.reservedMiB;
            if (request.mode() == MigrationMode.NON_LIVE && g.state == GuestState.RUNNING) {
                g.state = GuestState.PAUSED;
                events.add(event(source, guest, DomainEventKind.SUSPENDED, "migrated"));
            }
            save(source);
        }
        emit(events);
        return follow(flight, request.deadline(), progress);
    }

    /** Where the migration of {@code guest} from {@code source} to {@code target} stands, from the hypervisor's state. */
    MigrationJob inspect(String source, String guest, String target, MigrationMode mode) throws DriverException {
        facts(source);
        return settled(() -> {
            Flight f = flights.get(guest);
            if (f != null && f.source.equals(source) && f.target.equals(target)) {
                double sim = simMs(f, clock.millis());
                return new MigrationJob.Running(Math.min(99, f.plan.percentAt(sim)), f.plan.statsAt(sim));
            }
            SimHost s = hosts.get(source);
            SimHost t = hosts.get(target);
            SimGuest onSource = s.guests.get(guest);
            SimGuest onTarget = t == null ? null : t.guests.get(guest);
            FinishedJob last = s.finished.get(guest);
            if (last != null && !last.target.equals(target)) {
                last = null;
            }
            boolean moved;
            boolean stayed;
            if (mode == MigrationMode.OFFLINE) {
                // Only a definition moves, and a shut-off one of the same name may have been on the target before.
                moved = last != null ? last.succeeded && onTarget != null : onTarget != null && onSource == null;
                stayed = !moved && onSource != null;
            } else {
                moved = onTarget != null && onTarget.state.isActive();
                stayed = !moved && onSource != null && onSource.state.isActive();
            }
            if (moved) {
                return new MigrationJob.Moved(last != null && last.succeeded ? last.stats : MigrationStats.NONE);
            }
            if (stayed) {
                boolean failedJob = last != null && !last.succeeded;
                String why = failedJob ? last.reason : f != null && f.source.equals(source)
                        ? "another migration of " + guest + " (to " + f.target + ") is running" : "";
                return new MigrationJob.Stayed(why, failedJob ? last.stats : MigrationStats.NONE);
            }
            return new MigrationJob.Missing("guest " + guest + " is on neither " + source + " nor " + target
                    + (t == null ? " (" + target + " is not part of this simulated fabric)" : ""));
        });
    }

    /** Waits for a migration found by {@link #inspect} as {@link #migrate} waits for its own; never starts one. */
    MigrationStats followExisting(String source, MigrationRequest request, MigrationProgress progress) throws MigrationException {
        String guest = request.guest();
        Flight flight;
        synchronized (this) {
            flight = flights.get(guest);
            if (flight == null || !flight.source.equals(source) || !flight.target.equals(request.target().host())) {
                throw new MigrationException("no migration of " + guest + " from " + source + " to " + request.target().host()
                        + " is running: inspect it again to learn how it ended", MigrationStats.NONE);
            }
        }
        return follow(flight, request.deadline(), progress);
    }

    /**
     * The migrating (or following) thread's side: waits for the hypervisor's job to end, reports
     * progress, and aborts the job when the deadline passes, as the agent's libvirt driver does.
     */
    private MigrationStats follow(Flight f, Instant deadline, MigrationProgress progress) throws MigrationException {
        boolean interrupted = false;
        try {
            while (true) {
                List<DomainEvent> events = new ArrayList<>();
                Outcome outcome;
                double sim;
                synchronized (this) {
                    long now = clock.millis();
                    settle(f, now, events);
                    sim = simMs(f, now);
                    if (f.outcome == null && !f.inPostCopy(sim) && clock.instant().isAfter(deadline)) {
                        stop(f, now, "aborted: the deadline " + deadline + " passed before the migration of " + f.guest
                                + " finished; the guest stays on " + f.source + " (allow more time or a faster migration mode)", events);
                    }
                    outcome = f.outcome;
                }
                emit(events);
                if (outcome != null) {
                    if (outcome.failure != null) {
                        throw new MigrationException(outcome.failure, outcome.stats);
                    }
                    notes(f).forEach(progress::note);
                    progress.progress(100, outcome.stats);
                    return outcome.stats;
                }
                progress.progress(f.plan.percentAt(sim), f.plan.statsAt(sim));
                double untilEnd = Math.min(f.plan.totalMs(), f.failAtMs == null ? Double.POSITIVE_INFINITY : f.failAtMs) - sim;
                long wait = Math.max(1, Math.min(PROGRESS_TICK_MS, (long) Math.ceil(untilEnd / migrationSpeedup)));
                try {
                    synchronized (f) {
                        if (f.outcome == null) {
                            f.wait(wait);
                        }
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                    stopOnInterrupt(f);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The waiting thread was interrupted (the agent is stopping): stop the job, unless it is past the point of no return. */
    private void stopOnInterrupt(Flight f) {
        List<DomainEvent> events = new ArrayList<>();
        synchronized (this) {
            long now = clock.millis();
            settle(f, now, events);
            if (f.outcome == null && !f.inPostCopy(simMs(f, now))) {
                stop(f, now, "aborted: the migrating thread was interrupted (the agent is stopping)", events);
            }
        }
        emit(events);
    }

    /** libvirt's checks, in libvirt's words where it has them. */
    private SimGuest checkMigration(String source, MigrationRequest request) throws MigrationException {
        String guest = request.guest();
        String target = request.target().host();
        MigrationMode mode = request.mode();
        SimHost s = hosts.get(source);
        if (s == null) {
            throw refused("host " + source + " is not in the simulated fabric (it was removed)");
        }
        SimGuest g = s.guests.get(guest);
        if (g == null) {
            throw refused("guest " + guest + " is not on host " + source + ": check the inventory for where it is now");
        }
        if (flights.containsKey(guest)) {
            throw refused("guest " + guest + " is already migrating: wait for that migration to end or abort it");
        }
        SimHost t = hosts.get(target);
        if (t == null) {
            throw refused("target host " + target + " is not part of this simulated fabric: pick one of " + someHosts());
        }
        if (target.equals(source)) {
            throw refused("guest " + guest + " is already on " + source + ": pick a different target host");
        }
        if (!t.facts.arch().equals(s.facts.arch())) {
            throw refused("target host " + target + " is " + t.facts.arch() + " but " + source + " is " + s.facts.arch()
                    + ": guests migrate only between hosts of the same CPU architecture");
        }
        if (!clock.instant().isBefore(request.deadline())) {
            throw refused("the deadline " + request.deadline() + " has already passed: issue a new command with a later deadline");
        }
        if (mode == MigrationMode.OFFLINE) {
            if (g.state.isActive()) {
                throw refused("guest " + guest + " is " + g.state.name().toLowerCase() + ": offline migration moves only the"
                        + " definition of a shut-off guest; use LIVE or NON_LIVE, or shut it down first");
            }
            if (!g.persistent || !request.options().persistent()) {
                throw refused("offline migration of " + guest + " needs a persistent guest and the persistent option");
            }
        } else {
            if (g.state != GuestState.RUNNING && g.state != GuestState.PAUSED) {
                throw refused("guest " + guest + " is " + g.state.name().toLowerCase() + ", not running or paused: use OFFLINE"
                        + " migration with persistent to move its definition, or start it first");
            }
            if (g.state == GuestState.PAUSED && g.pausedSinceArrival) {
                throw refused(PausedArrival.refusal(guest, source, s.facts.qemuVersion()));
            }
            long used = t.guests.values().stream().filter(x -> x.state.isActive()).mapToLong(x -> x.memoryMiB).sum() + t.reservedMiB;
            if (used + g.memoryMiB > t.facts.memoryMiB()) {
                throw refused("target host " + target + " has " + Math.max(0, t.facts.memoryMiB() - used) + " MiB free but guest "
                        + guest + " needs " + g.memoryMiB + " MiB: pick a host with more free memory");
            }
        }
        SimGuest existing = t.guests.get(guest);
        if (existing != null && existing.state.isActive()) {
            throw refused("a guest named " + guest + " is already " + existing.state.name().toLowerCase() + " on " + target
                    + ": rename or remove one of them first");
        }
        try {
            MigrateUri.resolve(request.options().migrateUri(), request.target());
        } catch (IllegalArgumentException e) {
            throw refused(e.getMessage());
        }
        if (mode != MigrationMode.OFFLINE) {
            String storage = storageRefusal(s, t, g, request.options());
            if (storage != null) {
                throw refused("libvirt refused to migrate " + guest + " to " + target + ": " + storage);
            }
        }
        return g;
    }

    /** Pool types whose volumes every host mounting them sees: what libvirt counts as shared storage. */
    private static final Set<String> SHARED_POOL_TYPES = Set.of("netfs", "gluster", "rbd", "sheepdog", "vstorage");

    /**
     * libvirt's storage checks in its words: the target's pre-creation of copied disks, then
     * {@code qemuMigrationSrcIsSafe} for the disks that are not copied; null when it would go ahead.
     */
    private static String storageRefusal(SimHost s, SimHost t, SimGuest g, MigrationOptions o) {
        for (Disk d : g.spec.disks()) {
            if (d.source().isEmpty() || d.readOnly()) {
                continue; // empty drives and read-only media are safe and are not copied
            }
            StoragePool pool = s.facts.pools().stream().filter(p -> p.name().equals(d.pool())).findFirst().orElse(null);
            boolean shared = pool != null && SHARED_POOL_TYPES.contains(pool.type());
            if (o.copyStorage() != CopyStorage.NONE) {
                String dir = d.source().contains("/") ? d.source().substring(0, d.source().lastIndexOf('/')) : "";
                boolean sameDir = t.facts.pools().stream().anyMatch(p -> p.targetPath().equals(dir)
                        && (!shared || SHARED_POOL_TYPES.contains(p.type())));
                if (t.images.contains(d.source()) || (shared && sameDir)) {
                    continue; // already there: libvirt skips pre-creating it
                }
                if (o.copyStorage() == CopyStorage.INCREMENTAL) {
                    return "Operation not supported: pre-creation of storage targets for incremental storage migration is not"
                            + " supported; the guest stays on " + s.facts.host() + ". With copy-storage-inc the target must"
                            + " already have " + d.source() + " (copy or create it there first), or use copy-storage-all";
                }
                if (!sameDir) {
                    return "Storage pool not found: no storage pool with matching target path '" + dir + "'; the guest stays on "
                            + s.facts.host() + ". Define a storage pool at " + dir + " on " + t.facts.host()
                            + " for the copy of " + d.target();
                }
                continue;
            }
            if (o.unsafe()) {
                continue;
            }
            if (!shared) {
                return "Unsafe migration: Migration without shared storage is unsafe; the guest stays on " + s.facts.host()
                        + ". Use shared storage (" + d.target() + " is " + (pool == null ? "in no known pool"
                        : "in " + pool.type() + " pool " + pool.name()) + "), copy storage, or allow unsafe migration";
            }
            if (!pool.type().equals("rbd") && !d.cache().equals("none") && !d.cache().equals("directsync")) {
                return "Unsafe migration: Migration may lead to data corruption if disks use cache other than none or directsync;"
                        + " the guest stays on " + s.facts.host() + ". Set cache='none' on " + d.target()
                        + ", or allow unsafe migration";
            }
        }
        return null;
    }

    /** The guest is on the target now: apply libvirt's definition semantics and emit its events. */
    private void complete(String guest, MigrationMode mode, MigrationOptions o, GuestState before, SimHost s, SimHost t,
                          SimGuest g, List<DomainEvent> events) {
        String source = s.facts.host();
        String target = t.facts.host();
        boolean overwrote = t.guests.containsKey(guest);
        if (mode == MigrationMode.OFFLINE) {
            t.guests.put(guest, g.copy(GuestState.SHUTOFF, true));
            events.add(event(target, guest, DomainEventKind.DEFINED, overwrote ? "updated" : "added"));
            if (o.undefineSource()) {
                s.guests.remove(guest);
                events.add(event(source, guest, DomainEventKind.UNDEFINED, "removed"));
            }
            return;
        }
        // libvirt resumes the guest on the target unless told to leave it paused, or it was paused before the migration
        // began (libvirt then adds VIR_MIGRATE_PAUSED itself). A guest that virsh's timeout paused mid-way runs again.
        boolean paused = o.suspendOnTarget() || before == GuestState.PAUSED;
        GuestState onTarget = paused ? GuestState.PAUSED : GuestState.RUNNING;
        SimGuest arrived = g.copy(onTarget, o.persistent());
        arrived.pausedSinceArrival = paused;
        t.guests.put(guest, arrived);
        events.add(event(source, guest, DomainEventKind.MIGRATED_OUT, "migrated"));
        if (g.persistent && !o.undefineSource()) {
            s.guests.put(guest, g.copy(GuestState.SHUTOFF, true));
        } else {
            s.guests.remove(guest);
            if (g.persistent) {
                events.add(event(source, guest, DomainEventKind.UNDEFINED, "removed"));
            }
        }
        events.add(event(target, guest, DomainEventKind.MIGRATED_IN, "migrated"));
        if (o.persistent()) {
            events.add(event(target, guest, DomainEventKind.DEFINED, overwrote ? "updated" : "added"));
        }
        events.add(paused
                ? event(target, guest, DomainEventKind.SUSPENDED, "paused")
                : event(target, guest, DomainEventKind.RESUMED, "migrated"));
    }

    // ---- internals -----------------------------------------------------------------------------

    private static MigrationPlan plan(MigrationMode mode, MigrationOptions options, long memoryMiB, double dirtyMiBps,
                                      double bandwidthMiBps) {
        return switch (mode) {
            case LIVE -> MigrationPlan.live(memoryMiB, dirtyMiBps, bandwidthMiBps, options.maxDowntimeMs(), options.autoConverge(),
                    options.postCopy(), options.timeoutS() * 1000, options.timeoutPostCopy());
            case NON_LIVE -> MigrationPlan.nonLive(memoryMiB, bandwidthMiBps);
            case OFFLINE -> MigrationPlan.offline();
        };
    }

    private double simMs(Flight f, long nowMs) {
        return Math.max(0, (nowMs - f.startMs) * migrationSpeedup);
    }

    /** Ends the job now with {@code reason}, as an abort does. Caller holds the lock. */
    private void stop(Flight f, long now, String reason, List<DomainEvent> events) {
        f.stopReason = reason;
        f.stoppedAtMs = simMs(f, now);
        settle(f, now, events);
    }

    /** Completes every migration whose time has come. Caller holds the lock. */
    private void settleDue(List<DomainEvent> events) {
        if (flights.isEmpty()) {
            return;
        }
        long now = clock.millis();
        for (Flight f : List.copyOf(flights.values())) {
            settle(f, now, events);
        }
    }

    /** Runs {@code view} on state in which every migration due by now has ended. */
    private <T> T settled(Supplier<T> view) {
        List<DomainEvent> events = new ArrayList<>();
        T result;
        synchronized (this) {
            settleDue(events);
            result = view.get();
        }
        emit(events);
        return result;
    }

    /**
     * Ends the migration if its timeline says it has ended by {@code now}: the guest is on the target,
     * or back as it was on the source. Caller holds the lock.
     */
    private void settle(Flight f, long now, List<DomainEvent> events) {
        if (f.outcome != null) {
            return;
        }
        double sim = simMs(f, now);
        pauseAtTimeout(f, sim, events);
        MigrationPlan plan = f.plan;
        String failure;
        double at;
        if (f.stopReason != null) {
            failure = f.stopReason;
            at = f.stoppedAtMs;
        } else if (f.failAtMs != null && sim >= f.failAtMs) {
            failure = f.injectedFailure;
            at = f.failAtMs;
        } else if (sim >= plan.totalMs()) {
            failure = plan.converges() ? null : "migration of " + f.guest + " to " + f.target + " failed: " + plan.failure();
            at = plan.totalMs();
        } else {
            return;
        }
        MigrationStats stats = plan.statsAt(at);
        if (flights.get(f.guest) == f) {
            flights.remove(f.guest);
        }
        SimHost t = hosts.get(f.target);
        if (t != null) {
            t.reservedMiB -= f.reservedMiB;
        }
        SimHost s = hosts.get(f.source);
        SimGuest g = s == null ? null : s.guests.get(f.guest);
        if (failure == null && (g == null || t == null)) {
            failure = "migration of " + f.guest + " failed: " + (t == null ? "target host " + f.target : "guest " + f.guest + " on "
                    + f.source) + " disappeared while it ran";
        }
        if (failure != null) {
            if (g != null && g.state != f.originalState) {
                g.state = f.originalState;
                events.add(event(f.source, f.guest, DomainEventKind.RESUMED, "migrated"));
            }
        } else {
            if (f.options.copyStorage() != CopyStorage.NONE && f.mode != MigrationMode.OFFLINE) {
                g.spec.disks().stream().filter(d -> !d.source().isEmpty() && !d.readOnly()).forEach(d -> t.images.add(d.source()));
            }
            complete(f.guest, f.mode, f.options, f.originalState, s, t, g, events);
            stats = plan.statsAt(plan.totalMs());
        }
        f.outcome = new Outcome(failure, stats);
        if (s != null) {
            s.finished.put(f.guest, new FinishedJob(f.target, failure == null, failure == null ? "" : failure, stats,
                    f.startMs + Math.round(at / migrationSpeedup)));
        }
        // The target first: the source's file still holds the flight until its own write, so a crash in between replays it.
        if (failure == null) {
            save(f.target);
        }
        save(f.source);
        synchronized (f) {
            f.notifyAll();
        }
    }

    /**
     * Virsh's {@code --timeout}: once the migration has run that long (in its own, simulated, time)
     * without ending, the guest is paused on the source, as {@code virDomainSuspend} does, and the rest
     * is copied while it is paused. Caller holds the lock.
     */
    private void pauseAtTimeout(Flight f, double sim, List<DomainEvent> events) {
        if (f.plan.timeoutAction() != MigrationPlan.TimeoutAction.SUSPENDED) {
            return;
        }
        double at = f.plan.timeoutMs();
        double reached = f.stopReason != null ? f.stoppedAtMs : sim;
        if (reached < at || (f.failAtMs != null && f.failAtMs <= at)) {
            return;
        }
        SimHost s = hosts.get(f.source);
        SimGuest g = s == null ? null : s.guests.get(f.guest);
        if (g != null && g.state == GuestState.RUNNING) {
            g.state = GuestState.PAUSED;
            events.add(event(f.source, f.guest, DomainEventKind.SUSPENDED, "paused"));
            save(f.source);
        }
    }

    /** What the outcome of a completed migration should tell about how it ran, as the libvirt driver notes it. */
    private static List<String> notes(Flight f) {
        List<String> notes = new ArrayList<>();
        MigrationPlan plan = f.plan;
        if (plan.throttlePercent() > 0) {
            notes.add("auto-converge slowed the guest's vCPUs by up to " + plan.throttlePercent() + " %");
        }
        switch (plan.timeoutAction()) {
            case SUSPENDED -> notes.add("paused on " + f.source + " when the " + f.options.timeoutS()
                    + " s timeout passed and completed paused");
            case POST_COPY -> notes.add("switched to post-copy when the " + f.options.timeoutS() + " s timeout passed");
            case NONE -> {
                if (plan.postCopyAfterRounds() >= 0) {
                    notes.add("switched to post-copy after " + plan.postCopyAfterRounds() + " pre-copy rounds");
                }
            }
        }
        return notes;
    }

    private void placeGuest(String host, GuestSpec spec, List<DomainEvent> events) {
        SimHost h = requireHost(host);
        SimGuest existing = h.guests.get(spec.name());
        if (existing != null && (existing.state.isActive() || spec.state() == GuestState.SHUTOFF)) {
            throw new IllegalArgumentException("host " + host + " already has a guest named " + spec.name() + ": pick another name");
        }
        if (spec.cpu() instanceof CpuSource.Trace tr) {
            traces.percent(tr.name(), 0);
        }
        h.guests.put(spec.name(), new SimGuest(spec));
        spec.disks().stream().map(Disk::source).filter(x -> !x.isEmpty()).forEach(h.images::add);
        if (spec.persistent()) {
            events.add(event(host, spec.name(), DomainEventKind.DEFINED, "added"));
        }
        if (spec.state().isActive()) {
            events.add(event(host, spec.name(), DomainEventKind.STARTED, "booted"));
        }
        if (spec.state() == GuestState.PAUSED) {
            events.add(event(host, spec.name(), DomainEventKind.SUSPENDED, "paused"));
        }
    }

    private SimHost requireHost(String host) {
        SimHost h = hosts.get(host);
        if (h == null) {
            throw new IllegalArgumentException("host " + host + " is not in the fabric: add it first (known: " + someHosts() + ")");
        }
        return h;
    }

    /** A few host names for messages; a fabric may have thousands. */
    private String someHosts() {
        List<String> names = hosts.keySet().stream().limit(5).toList();
        return String.join(", ", names) + (hosts.size() > names.size() ? " … (" + hosts.size() + " hosts)" : "");
    }

    /** The running or paused guest of that name, else its only definition. */
    private SimGuest find(String guest) {
        List<SimGuest> active = new ArrayList<>();
        List<SimGuest> defined = new ArrayList<>();
        for (SimHost h : hosts.values()) {
            SimGuest g = h.guests.get(guest);
            if (g != null) {
                (g.state.isActive() ? active : defined).add(g);
            }
        }
        if (active.size() == 1 || (active.isEmpty() && defined.size() == 1)) {
            return active.isEmpty() ? defined.get(0) : active.get(0);
        }
        throw new IllegalArgumentException(active.isEmpty() && defined.isEmpty()
                ? "no host of the fabric has a guest named " + guest + ": check the name"
                : "the name " + guest + " is used on several hosts: rename one of them to use this hook on it");
    }

    private double cpuCores(SimGuest g) {
        if (g.state != GuestState.RUNNING) {
            return 0;
        }
        if (g.cpu instanceof CpuSource.Constant c) {
            return c.cores();
        }
        CpuSource.Trace t = (CpuSource.Trace) g.cpu;
        long step = Math.floorDiv(Duration.between(epoch, clock.instant()).toMillis(), traceStep.toMillis());
        return g.vcpus * traces.percent(t.name(), step + t.offset()) / 100.0;
    }

    private static MigrationException refused(String reason) {
        return new MigrationException(reason, MigrationStats.NONE);
    }

    private static DomainEvent event(String host, String guest, DomainEventKind kind, String detail) {
        return new DomainEvent(host, guest, kind, detail);
    }

    private void emit(List<DomainEvent> events) {
        for (DomainEvent e : events) {
            Consumer<DomainEvent> l = listeners.get(e.host());
            if (l != null) {
                l.accept(e);
            }
        }
    }

    // ---- state that outlives the process -------------------------------------------------------

    /** Writes the host's state file, when the fabric has a state directory. Caller holds the lock. */
    private void save(String host) {
        SimHost h = hosts.get(host);
        if (stateDir == null || h == null) {
            return;
        }
        List<HostStateFile.Guest> guests = h.guests.values().stream().map(g -> new HostStateFile.Guest(g.name, g.uuid, g.vcpus,
                g.memoryMiB, g.state, g.persistent, g.dirtyRateMiBps,
                g.cpu instanceof CpuSource.Constant c ? c.cores() : null,
                g.cpu instanceof CpuSource.Trace t ? t.name() : null, g.cpu instanceof CpuSource.Trace t ? t.offset() : 0,
                g.netMiBps, g.diskMiBps, g.spec.disks(), g.spec.labels(), g.pausedSinceArrival)).toList();
        List<HostStateFile.Flight> out = flights.values().stream().filter(f -> f.source.equals(host) && f.outcome == null)
                .map(f -> new HostStateFile.Flight(f.guest, f.target, f.mode, f.options, f.startMs, f.deadlineMs, f.originalState,
                        f.memoryMiB, f.dirtyRateMiBps, f.bandwidthMiBps, f.failAtMs, f.injectedFailure)).toList();
        List<HostStateFile.FinishedJob> finished = h.finished.entrySet().stream().map(e -> new HostStateFile.FinishedJob(e.getKey(),
                e.getValue().target, e.getValue().succeeded, e.getValue().reason, e.getValue().stats, e.getValue().endMs)).toList();
        new HostStateFile(stateDir, host).write(new HostStateFile.Saved(HostStateFile.VERSION, host, epoch.toEpochMilli(), guests,
                out, finished));
    }

    /** Saves the host of the guest a hook just changed. Caller holds the lock. */
    private void saveHostOf(String guest) {
        SimGuest g = find(guest);
        hosts.values().stream().filter(h -> h.guests.get(guest) == g).findFirst().ifPresent(h -> save(h.facts.host()));
    }

    private void restoreGuests(SimHost h, HostStateFile.Saved saved) {
        for (HostStateFile.Guest s : saved.guests()) {
            CpuSource cpu;
            if (s.trace() != null) {
                traces.percent(s.trace(), 0);
                cpu = CpuSource.trace(s.trace(), s.traceOffset());
            } else {
                cpu = CpuSource.constant(s.cpuCores() == null ? 0 : s.cpuCores());
            }
            // The spec is the guest as it was defined; the state and persistence it has now are the guest's own.
            GuestState specState = s.state() == GuestState.PAUSED || s.state() == GuestState.SHUTOFF ? s.state() : GuestState.RUNNING;
            GuestSpec spec = new GuestSpec(s.name(), s.vcpus(), s.memoryMiB(), specState, s.persistent() || specState == GuestState.SHUTOFF,
                    s.dirtyRateMiBps(), cpu, s.netMiBps(), s.diskMiBps(), s.disks() == null ? List.of() : s.disks(),
                    s.labels() == null ? Map.of() : s.labels());
            SimGuest restored = new SimGuest(spec, s.uuid(), s.state(), s.persistent(), s.dirtyRateMiBps(), cpu);
            restored.pausedSinceArrival = Boolean.TRUE.equals(s.pausedSinceArrival());
            h.guests.put(s.name(), restored);
            spec.disks().stream().map(Disk::source).filter(x -> !x.isEmpty()).forEach(h.images::add);
        }
        for (HostStateFile.FinishedJob j : saved.finished()) {
            h.finished.put(j.guest(), new FinishedJob(j.target(), j.succeeded(), j.reason() == null ? "" : j.reason(),
                    j.stats() == null ? MigrationStats.NONE : j.stats(), j.endMs()));
        }
    }

    private void restoreMigrations(SimHost source, HostStateFile.Saved saved) {
        for (HostStateFile.Flight s : saved.migrations()) {
            MigrationPlan plan = plan(s.mode(), s.options(), s.memoryMiB(), s.dirtyRateMiBps(), s.bandwidthMiBps());
            Flight f = new Flight(s.guest(), source.facts.host(), s.target(), s.mode(), s.options(), s.startMs(), s.deadlineMs(),
                    s.originalState(), s.memoryMiB(), s.dirtyRateMiBps(), s.bandwidthMiBps(), plan, s.failAtMs(), s.injectedFailure());
            flights.put(f.guest, f);
            SimHost t = hosts.get(f.target);
            if (t != null) {
                t.reservedMiB += f.reservedMiB;
            }
        }
    }

    private static final class SimHost {
        final HostFacts facts;
        final Map<String, SimGuest> guests = new LinkedHashMap<>();
        /** How the last migration of each guest out of this host ended. */
        final Map<String, FinishedJob> finished = new LinkedHashMap<>();
        /** Image files on this host's own storage: its guests' and those added or copied here. */
        final Set<String> images = new HashSet<>();
        long reservedMiB;

        SimHost(HostSpec s) {
            this.facts = new HostFacts(s.id(), s.arch(), "Simulated-CPU", s.cpus(), s.memoryMiB(), s.linkMiBps(), "simulated",
                    s.libvirtVersion(), s.qemuVersion(), s.subnet(), s.id(), "sim:///" + s.id(), s.labels(), s.pools(), s.qemu());
        }
    }

    /** Mutable on purpose: the fabric's own bookkeeping, never handed out. */
    private static final class SimGuest {
        final GuestSpec spec;
        final String name;
        final String uuid;
        final int vcpus;
        final long memoryMiB;
        final double netMiBps;
        final double diskMiBps;
        GuestState state;
        boolean persistent;
        double dirtyRateMiBps;
        CpuSource cpu;
        /** Paused since a migration brought it to its host, and it has not run there since ({@link PausedArrival}). */
        boolean pausedSinceArrival;

        SimGuest(GuestSpec s) {
            this(s, UUID.nameUUIDFromBytes(s.name().getBytes(StandardCharsets.UTF_8)).toString(), s.state(), s.persistent(),
                    s.dirtyRateMiBps(), s.cpu());
        }

        private SimGuest(GuestSpec s, String uuid, GuestState state, boolean persistent, double dirty, CpuSource cpu) {
            this.spec = s;
            this.name = s.name();
            this.uuid = uuid;
            this.vcpus = s.vcpus();
            this.memoryMiB = s.memoryMiB();
            this.netMiBps = s.netMiBps();
            this.diskMiBps = s.diskMiBps();
            this.state = state;
            this.persistent = persistent;
            this.dirtyRateMiBps = dirty;
            this.cpu = cpu;
        }

        SimGuest copy(GuestState newState, boolean newPersistent) {
            return new SimGuest(spec, uuid, newState, newPersistent, dirtyRateMiBps, cpu);
        }

        GuestDescriptor descriptor() {
            return new GuestDescriptor(name, uuid, state, persistent, vcpus, memoryMiB, "custom", spec.disks(), List.of(), false,
                    spec.labels());
        }
    }

    /**
     * One migration in flight. Its timeline is fixed at the start ({@code plan}, {@code failAtMs});
     * the fabric's lock guards {@code stopReason}, {@code stoppedAtMs} and {@code outcome}, and its
     * monitor wakes the waiting thread when it ends.
     */
    private static final class Flight {
        final String guest;
        final String source;
        final String target;
        final MigrationMode mode;
        final MigrationOptions options;
        final long startMs;
        final long deadlineMs;
        final GuestState originalState;
        final long memoryMiB;
        final double dirtyRateMiBps;
        final double bandwidthMiBps;
        final MigrationPlan plan;
        /** Simulated ms at which an injected failure strikes; null when none. */
        final Double failAtMs;
        final String injectedFailure;
        final long reservedMiB;
        String stopReason;
        double stoppedAtMs;
        volatile Outcome outcome;

        Flight(String guest, String source, String target, MigrationMode mode, MigrationOptions options, long startMs,
               long deadlineMs, GuestState originalState, long memoryMiB, double dirtyRateMiBps, double bandwidthMiBps,
               MigrationPlan plan, Double failAtMs, String injectedFailure) {
            this.guest = guest;
            this.source = source;
            this.target = target;
            this.mode = mode;
            this.options = options;
            this.startMs = startMs;
            this.deadlineMs = deadlineMs;
            this.originalState = originalState;
            this.memoryMiB = memoryMiB;
            this.dirtyRateMiBps = dirtyRateMiBps;
            this.bandwidthMiBps = bandwidthMiBps;
            this.plan = plan;
            this.failAtMs = failAtMs;
            this.injectedFailure = injectedFailure;
            this.reservedMiB = mode == MigrationMode.OFFLINE ? 0 : memoryMiB;
        }

        /** Past the switch-over of a post-copy migration: the guest runs on the target, the job cannot be undone. */
        boolean inPostCopy(double simMs) {
            MigrationPlan.Phase p = plan.phaseAt(simMs);
            return p.kind() == MigrationPlan.Kind.POST_COPY && simMs >= p.startMs();
        }
    }

    /** How a migration ended: {@code failure} is null when the guest is on the target. */
    private record Outcome(String failure, MigrationStats stats) {}

    /** How the last migration of a guest out of a host ended, as libvirt keeps a completed job's stats. */
    private record FinishedJob(String target, boolean succeeded, String reason, MigrationStats stats, long endMs) {}
}
