package org.virtbalancer.agent.sim;

import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MigrationException;
import org.virtbalancer.agent.driver.MigrationProgress;
import org.virtbalancer.agent.driver.MigrationRequest;
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

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

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
    private final Map<String, SimHost> hosts = new LinkedHashMap<>();
    private final Map<String, Consumer<DomainEvent>> listeners = new ConcurrentHashMap<>();
    private final Map<String, Flight> flights = new HashMap<>();
    private final Map<String, String> failNext = new HashMap<>();

    private SimulatedFabric(Builder b) {
        this.clock = b.clock;
        this.epoch = b.clock.instant();
        this.traceStep = b.traceStep;
        this.migrationSpeedup = b.migrationSpeedup;
        this.traces = b.traces;
        b.hosts.forEach(h -> hosts.put(h.id(), new SimHost(h)));
        for (Map.Entry<String, List<GuestSpec>> e : b.guests.entrySet()) {
            for (GuestSpec g : e.getValue()) {
                placeGuest(e.getKey(), g, new ArrayList<>());
            }
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

    public synchronized List<String> hosts() {
        return List.copyOf(hosts.keySet());
    }

    public synchronized Optional<HostFacts> hostFacts(String host) {
        return Optional.ofNullable(hosts.get(host)).map(h -> h.facts);
    }

    /** Every guest defined or running on {@code host}; empty for an unknown host. */
    public synchronized List<GuestDescriptor> guests(String host) {
        SimHost h = hosts.get(host);
        return h == null ? List.of() : h.guests.values().stream().map(SimGuest::descriptor).toList();
    }

    public synchronized Optional<GuestDescriptor> guest(String host, String name) {
        SimHost h = hosts.get(host);
        return Optional.ofNullable(h == null ? null : h.guests.get(name)).map(SimGuest::descriptor);
    }

    /** The host where {@code guest} is running or paused. */
    public synchronized Optional<String> hostOf(String guest) {
        return hosts.values().stream().filter(h -> {
            SimGuest g = h.guests.get(guest);
            return g != null && g.state.isActive();
        }).map(h -> h.facts.host()).findFirst();
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
        }
        emit(events);
    }

    /** Pins the guest's CPU load to {@code cores}, replacing its trace. */
    public synchronized void setConstantCpu(String guest, double cores) {
        find(guest).cpu = CpuSource.constant(cores);
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
        return running.size();
    }

    /** Makes the guest follow a PlanetLab trace from {@code offset} samples in. */
    public synchronized void followTrace(String guest, String traceName, int offset) {
        traces.percent(traceName, 0);
        find(guest).cpu = CpuSource.trace(traceName, offset);
    }

    /** Sets the page-dirty rate that the next migration of the guest starts with. */
    public synchronized void setDirtyRate(String guest, double mibPerSecond) {
        if (!Double.isFinite(mibPerSecond) || mibPerSecond < 0) {
            throw new IllegalArgumentException("dirty rate must be a finite number of MiB/s >= 0, got " + mibPerSecond);
        }
        find(guest).dirtyRateMiBps = mibPerSecond;
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

    synchronized List<GuestDescriptor> guestsOf(String host) throws DriverException {
        facts(host);
        return guests(host);
    }

    synchronized HostLoad sample(String host, Duration interval) throws DriverException {
        HostFacts f = facts(host);
        List<GuestLoad> loads = new ArrayList<>();
        double cpu = 0;
        long mem = 0;
        double net = 0;
        double disk = 0;
        for (SimGuest g : hosts.get(host).guests.values()) {
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
    }

    void listen(String host, Consumer<DomainEvent> listener) {
        listeners.put(host, listener);
    }

    void unlisten(String host, Consumer<DomainEvent> listener) {
        if (listener != null) {
            listeners.remove(host, listener);
        }
    }

    boolean abort(String host, String guest) throws DriverException {
        Flight f;
        synchronized (this) {
            f = flights.get(guest);
        }
        if (f == null || !f.source.equals(host)) {
            return false;
        }
        synchronized (f) {
            if (f.postCopy) {
                throw new DriverException("cannot abort the migration of " + guest + ": it is in post-copy and the guest"
                        + " already runs on " + f.target + "; wait for it to finish");
            }
            f.aborted = true;
            f.notifyAll();
        }
        return true;
    }

    MigrationStats migrate(String source, MigrationRequest request, MigrationProgress progress) throws MigrationException {
        String guest = request.guest();
        String target = request.target().host();
        MigrationOptions options = request.options();
        List<DomainEvent> events = new ArrayList<>();
        MigrationPlan plan;
        Flight flight;
        String injected;
        GuestState originalState;
        synchronized (this) {
            SimGuest g = checkMigration(source, request);
            originalState = g.state;
            double bandwidth = Math.min(hosts.get(source).facts.linkMiBps(), hosts.get(target).facts.linkMiBps());
            if (options.bandwidthMiBps() > 0) {
                bandwidth = Math.min(bandwidth, options.bandwidthMiBps());
            }
            plan = switch (request.mode()) {
                // A paused guest dirties no memory.
                case LIVE -> MigrationPlan.live(g.memoryMiB, g.state == GuestState.RUNNING ? g.dirtyRateMiBps : 0, bandwidth,
                        options.maxDowntimeMs(), options.autoConverge(), options.postCopy());
                case NON_LIVE -> MigrationPlan.nonLive(g.memoryMiB, bandwidth);
                case OFFLINE -> MigrationPlan.offline();
            };
            injected = failNext.remove(guest);
            flight = new Flight(source, target, request.mode() == MigrationMode.OFFLINE ? 0 : g.memoryMiB);
            flights.put(guest, flight);
            hosts.get(target).reservedMiB += flight.reservedMiB;
            if (request.mode() == MigrationMode.NON_LIVE && g.state == GuestState.RUNNING) {
                g.state = GuestState.PAUSED;
                events.add(event(source, guest, DomainEventKind.SUSPENDED, "migrated"));
            }
        }
        emit(events);
        double failAtMs = injected != null ? plan.totalMs() / 2 : Double.POSITIVE_INFINITY;
        String failure = null;
        MigrationStats stats = MigrationStats.NONE;
        long start = clock.millis();
        while (true) {
            double simMs = (clock.millis() - start) * migrationSpeedup;
            stats = plan.statsAt(simMs);
            boolean inPostCopy = plan.phaseAt(simMs).kind() == MigrationPlan.Kind.POST_COPY && simMs >= plan.phaseAt(simMs).startMs();
            synchronized (flight) {
                flight.postCopy = inPostCopy;
                if (flight.aborted) {
                    failure = "aborted: the migration of " + guest + " to " + target + " was cancelled after "
                            + stats.elapsedMs() + " ms; the guest stays on " + source;
                    break;
                }
            }
            if (simMs >= failAtMs) {
                failure = injected;
                break;
            }
            if (!inPostCopy && clock.instant().isAfter(request.deadline())) {
                failure = "aborted: the deadline " + request.deadline() + " passed before the migration of " + guest
                        + " finished; the guest stays on " + source + " (allow more time or a faster migration mode)";
                break;
            }
            if (simMs >= plan.totalMs()) {
                if (!plan.converges()) {
                    failure = "migration of " + guest + " to " + target + " failed: " + plan.failure();
                }
                break;
            }
            progress.progress(plan.percentAt(simMs), stats);
            long wallLeft = (long) Math.ceil((plan.totalMs() - simMs) / migrationSpeedup);
            waitQuietly(flight, Math.max(1, Math.min(PROGRESS_TICK_MS, Math.min(wallLeft, (long) Math.ceil((failAtMs - simMs) / migrationSpeedup)))));
        }
        events.clear();
        synchronized (this) {
            flights.remove(guest);
            SimHost t = hosts.get(target);
            if (t != null) {
                t.reservedMiB -= flight.reservedMiB;
            }
            SimHost s = hosts.get(source);
            SimGuest g = s == null ? null : s.guests.get(guest);
            if (failure == null && (g == null || t == null)) {
                failure = "migration of " + guest + " failed: " + (t == null ? "target host " + target : "guest " + guest + " on " + source)
                        + " disappeared while it ran";
            }
            if (failure != null) {
                if (g != null && g.state != originalState) {
                    g.state = originalState;
                    events.add(event(source, guest, DomainEventKind.RESUMED, "migrated"));
                }
            } else {
                complete(request, s, t, g, events);
                stats = plan.statsAt(plan.totalMs());
            }
        }
        emit(events);
        if (failure != null) {
            throw new MigrationException(failure, stats);
        }
        progress.progress(100, stats);
        return stats;
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
        return g;
    }

    /** The guest is on the target now: apply libvirt's definition semantics and emit its events. */
    private void complete(MigrationRequest request, SimHost s, SimHost t, SimGuest g, List<DomainEvent> events) {
        MigrationOptions o = request.options();
        String guest = g.name;
        String source = s.facts.host();
        String target = t.facts.host();
        boolean overwrote = t.guests.containsKey(guest);
        if (request.mode() == MigrationMode.OFFLINE) {
            t.guests.put(guest, g.copy(GuestState.SHUTOFF, true));
            events.add(event(target, guest, DomainEventKind.DEFINED, overwrote ? "updated" : "added"));
            if (o.undefineSource()) {
                s.guests.remove(guest);
                events.add(event(source, guest, DomainEventKind.UNDEFINED, "removed"));
            }
            return;
        }
        // libvirt resumes the guest on the target unless told to leave it paused.
        GuestState onTarget = o.suspendOnTarget() ? GuestState.PAUSED : GuestState.RUNNING;
        t.guests.put(guest, g.copy(onTarget, o.persistent()));
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
        events.add(o.suspendOnTarget()
                ? event(target, guest, DomainEventKind.SUSPENDED, "paused")
                : event(target, guest, DomainEventKind.RESUMED, "migrated"));
    }

    // ---- internals -----------------------------------------------------------------------------

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

    private static void waitQuietly(Object monitor, long millis) throws MigrationException {
        synchronized (monitor) {
            try {
                monitor.wait(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MigrationException("aborted: the migrating thread was interrupted (the agent is stopping)", null, e);
            }
        }
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

    private static final class SimHost {
        final HostFacts facts;
        final Map<String, SimGuest> guests = new LinkedHashMap<>();
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

    /** One migration in flight; its monitor wakes the migrating thread on abort. */
    private static final class Flight {
        final String source;
        final String target;
        final long reservedMiB;
        boolean aborted;
        boolean postCopy;

        Flight(String source, String target, long reservedMiB) {
            this.source = source;
            this.target = target;
            this.reservedMiB = reservedMiB;
        }
    }
}
