package org.virtbalancer.balancer.model;

import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The cluster as reported: hosts, the guests on each, and what they use. Hosts and guests are
 * kept in name order so every decision made from it is deterministic.
 *
 * <p>Inventories and command results travel on different topics, so after a completed move a
 * source inventory written before it can still arrive. For {@link #SETTLE} after a move the result
 * wins: the source's listing of that guest is ignored and the target keeps it, until both hosts'
 * inventories agree with the move.
 */
public final class Cluster {
    /** How long a completed move outranks inventories that contradict it. */
    public static final Duration SETTLE = Duration.ofSeconds(60);
    /**
     * An inventory written this long after a move ended already shows it (or shows that it did not happen): it
     * outranks the move's result. The margin covers clocks of different hosts and an agent that lists its guests
     * a moment before it stamps and sends the list.
     */
    static final Duration AFTER_MOVE = Duration.ofSeconds(5);
    /** When a host's last applied inventory was written (its envelope's timestamp), where known. */
    private final Map<String, Long> inventoryWrittenAt = new HashMap<>();

    /** Time constant of guests' expected CPU use (see {@link GuestUsage}). */
    public static final Duration DEFAULT_FORECAST_WINDOW = Duration.ofMinutes(90);

    private final long forecastWindowMs;
    // Looked up by name on every sample and by every rule: hash maps, with the names kept in order apart.
    private final Map<String, Host> hosts = new HashMap<>();
    private final TreeSet<String> hostNames = new TreeSet<>();
    private final Map<String, TreeMap<String, GuestDescriptor>> guests = new HashMap<>();
    /** Each guest's usage by name, wherever it runs. */
    private final Map<String, UsageCell> usage = new HashMap<>();
    /**
     * {@link #usage} is swept of guests no inventory and no latest sample lists once it holds this
     * many cells: samples may name any guest (deleted ones, or made-up ones on a hostile topic), and
     * their cells must not pile up. Each sweep sets the next at twice what it kept, so sweeping costs
     * a constant per new cell.
     */
    private int sweepUsageAt = USAGE_SWEEP_MIN;
    static final int USAGE_SWEEP_MIN = 4_096;
    /**
     * Per host, the usage cells of the guests its last sample listed, in that order. The next sample
     * almost always lists the same guests, so it updates them without a lookup in {@link #usage}
     * (one per guest in a map of every guest, the bulk of ingest time at 200,000 guests).
     */
    private final Map<String, UsageCell[]> lastListed = new HashMap<>();
    /** Memory given to the host's active guests, summed when first needed after its guest list changed. */
    private final Map<String, Long> allocatedMiB = new HashMap<>();
    private final List<CompletedMove> recentMoves = new ArrayList<>();
    private static final TreeMap<String, GuestDescriptor> EMPTY = new TreeMap<>();

    public Cluster() {
        this(DEFAULT_FORECAST_WINDOW);
    }

    /** @param forecastWindow time constant of guests' expected CPU use */
    public Cluster(Duration forecastWindow) {
        if (forecastWindow == null || forecastWindow.isNegative() || forecastWindow.isZero()) {
            throw new IllegalArgumentException("the forecast window must be longer than zero, got " + forecastWindow);
        }
        this.forecastWindowMs = forecastWindow.toMillis();
    }

    /** One guest's usage; the cell stays, its value is replaced with every sample. */
    private static final class UsageCell {
        final String guest;
        GuestUsage value = GuestUsage.NONE;

        UsageCell(String guest) {
            this.guest = guest;
        }
    }

    /** A move a command result reported done, not yet confirmed by both hosts' inventories. */
    private record CompletedMove(String guest, String source, String target, long at, long endedAt, double cpuCores,
                                 double expectedCores, long memoryMiB, boolean sourceConfirmed, boolean targetConfirmed) {
        CompletedMove confirmSource() {
            return new CompletedMove(guest, source, target, at, endedAt, cpuCores, expectedCores, memoryMiB, true,
                    targetConfirmed);
        }

        CompletedMove confirmTarget() {
            return new CompletedMove(guest, source, target, at, endedAt, cpuCores, expectedCores, memoryMiB,
                    sourceConfirmed, true);
        }

        /** Whether an inventory written at {@code writtenAt} was written after this move ended, so already shows it. */
        boolean before(long writtenAt) {
            return writtenAfter(writtenAt, endedAt);
        }
    }

    /** Replaces the host's facts and its guest list, except where a recent completed move says otherwise. */
    public void applyInventory(Inventory inventory, long now) {
        applyInventory(inventory, now, Long.MIN_VALUE);
    }

    /**
     * As {@link #applyInventory(Inventory, long)}, with when the agent wrote it: a completed move that ended before
     * that (by more than {@link #AFTER_MOVE}) no longer outranks it. A balancer that re-reads old results on
     * start, or reads a result late, would otherwise hold a guest on a host that left it long ago.
     *
     * @param writtenAt the inventory envelope's timestamp, {@link Long#MIN_VALUE} when unknown
     */
    public void applyInventory(Inventory inventory, long now, long writtenAt) {
        pruneMoves(now);
        String host = inventory.facts().host();
        inventoryWrittenAt.put(host, writtenAt);
        hosts.merge(host, Host.of(inventory.facts()), (old, fresh) -> old.withFacts(inventory.facts()));
        hostNames.add(host);
        TreeMap<String, GuestDescriptor> listed = new TreeMap<>();
        inventory.guests().forEach(g -> listed.put(g.name(), g));
        TreeMap<String, GuestDescriptor> previous = guests.getOrDefault(host, new TreeMap<>());
        for (int i = 0; i < recentMoves.size(); i++) {
            CompletedMove move = recentMoves.get(i);
            if (move.before(writtenAt) && (move.source().equals(host) || move.target().equals(host))) {
                recentMoves.set(i, move.source().equals(host) ? move.confirmSource() : move.confirmTarget());
            } else if (move.source().equals(host)) {
                if (listed.containsKey(move.guest())) {
                    listed.remove(move.guest());
                } else {
                    recentMoves.set(i, move.confirmSource());
                }
            } else if (move.target().equals(host)) {
                if (listed.containsKey(move.guest())) {
                    recentMoves.set(i, move.confirmTarget());
                } else if (previous.containsKey(move.guest())) {
                    listed.put(move.guest(), previous.get(move.guest()));
                }
            }
        }
        recentMoves.removeIf(m -> m.sourceConfirmed() && m.targetConfirmed());
        guests.put(host, listed);
        allocatedMiB.remove(host);
    }

    /** Records a host's load sample and its guests' usage; false when the host has sent no inventory yet. */
    public boolean applySample(HostLoad load, long now) {
        pruneMoves(now);
        Host host = hosts.get(load.host());
        if (host == null) {
            return false;
        }
        List<GuestLoad> listed = load.guests();
        UsageCell[] cells = lastListed.get(load.host());
        if (!sameGuests(cells, listed)) {
            cells = new UsageCell[listed.size()];
            for (int i = 0; i < cells.length; i++) {
                cells[i] = usage.computeIfAbsent(listed.get(i).guest(), UsageCell::new);
            }
            lastListed.put(load.host(), cells);
            if (usage.size() >= sweepUsageAt) {
                sweepUsage();
            }
        }
        // Expected: the sample with each guest's use now replaced by its expected use.
        double expected = load.cpuCores();
        double weight = GuestUsage.weight(load.intervalMs(), forecastWindowMs);
        for (int i = 0; i < cells.length; i++) {
            GuestLoad guestLoad = listed.get(i);
            cells[i].value = cells[i].value.next(guestLoad, weight);
            expected += cells[i].value.expectedCores() - guestLoad.cpuCores();
        }
        hosts.put(load.host(), host.withSample(now, load.cpuCores(), load.memoryMiB(), expected, load.netMiBps(),
                load.diskMiBps()));
        return true;
    }

    /** Forgets the usage of guests that no host's inventory and no host's latest sample lists. */
    private void sweepUsage() {
        Map<String, UsageCell> kept = new HashMap<>();
        for (UsageCell[] cells : lastListed.values()) {
            for (UsageCell c : cells) {
                kept.put(c.guest, c);
            }
        }
        for (TreeMap<String, GuestDescriptor> onHost : guests.values()) {
            for (String name : onHost.keySet()) {
                UsageCell c = usage.get(name);
                if (c != null) {
                    kept.put(name, c);
                }
            }
        }
        usage.keySet().retainAll(kept.keySet());
        sweepUsageAt = Math.max(USAGE_SWEEP_MIN, 2 * usage.size());
    }

    /** How many guests' usage this cluster keeps (for tests). */
    int usageCells() {
        return usage.size();
    }

    private static boolean sameGuests(UsageCell[] cells, List<GuestLoad> listed) {
        if (cells == null || cells.length != listed.size()) {
            return false;
        }
        for (int i = 0; i < cells.length; i++) {
            if (!cells[i].guest.equals(listed.get(i).guest())) {
                return false;
            }
        }
        return true;
    }

    /** Keeps guest states current between inventories; events about unknown guests are left to the next inventory. */
    public void applyEvent(DomainEvent event) {
        TreeMap<String, GuestDescriptor> onHost = guests.get(event.host());
        GuestDescriptor guest = onHost == null ? null : onHost.get(event.guest());
        if (guest == null) {
            return;
        }
        allocatedMiB.remove(event.host());
        switch (event.kind()) {
            case STARTED, RESUMED -> onHost.put(guest.name(), guest.withState(GuestState.RUNNING));
            case SUSPENDED -> onHost.put(guest.name(), guest.withState(GuestState.PAUSED));
            case CRASHED -> onHost.put(guest.name(), guest.withState(GuestState.CRASHED));
            case STOPPED -> {
                if (guest.persistent()) {
                    onHost.put(guest.name(), guest.withState(GuestState.SHUTOFF));
                } else {
                    onHost.remove(guest.name());
                }
            }
            case UNDEFINED -> {
                if (guest.state().isActive()) {
                    onHost.put(guest.name(), guest.withPersistent(false));
                } else {
                    onHost.remove(guest.name());
                }
            }
            case DEFINED, MIGRATED_OUT, MIGRATED_IN -> {
                // Moves are applied from command results; the inventory that follows confirms them.
            }
        }
    }

    /** A migration succeeded: the guest is on the target now, in {@code stateOnTarget}. */
    public void completeMove(String guestName, String source, String target, GuestState stateOnTarget, long now) {
        completeMove(guestName, source, target, stateOnTarget, now, now);
    }

    /**
     * A move a command result reports done. A host whose last inventory was written after the move ended
     * (by more than {@link #AFTER_MOVE}) already shows it and is left as its inventory says: so a result read
     * again long after (a balancer rebuilding from Kafka) does not put a guest back where it no longer is.
     *
     * @param endedAt when the result was written (its envelope's timestamp)
     */
    public void completeMove(String guestName, String source, String target, GuestState stateOnTarget, long now,
                             long endedAt) {
        pruneMoves(now);
        allocatedMiB.remove(source);
        allocatedMiB.remove(target);
        boolean sourceShows = shownBy(source, endedAt);
        boolean targetShows = shownBy(target, endedAt);
        TreeMap<String, GuestDescriptor> from = guests.get(source);
        GuestDescriptor moving = from == null ? null : sourceShows ? from.get(guestName) : from.remove(guestName);
        TreeMap<String, GuestDescriptor> to = guests.computeIfAbsent(target, h -> new TreeMap<>());
        if (moving == null) {
            moving = to.get(guestName);
        }
        if (moving == null) {
            return;
        }
        if (!targetShows) {
            to.putIfAbsent(guestName, moving.withState(stateOnTarget));
        }
        recentMoves.removeIf(m -> m.guest().equals(guestName));
        if ((sourceShows && targetShows) || now - endedAt > SETTLE.toMillis()) {
            return;
        }
        Guest moved = new Guest(moving.withState(stateOnTarget), target, usageOf(guestName));
        recentMoves.add(new CompletedMove(guestName, source, target, now, endedAt, moved.cpuCores(), moved.expectedCores(),
                moved.activeMemoryMiB(), sourceShows, targetShows));
    }

    /** Whether the host's last inventory was written after a move that ended at {@code endedAt}. */
    private boolean shownBy(String host, long endedAt) {
        return writtenAfter(inventoryWrittenAt.getOrDefault(host, Long.MIN_VALUE), endedAt);
    }

    /** An inventory written at {@code writtenAt} ({@link Long#MIN_VALUE}: unknown) after a move that ended at {@code endedAt}. */
    private static boolean writtenAfter(long writtenAt, long endedAt) {
        return writtenAt != Long.MIN_VALUE && writtenAt - endedAt > AFTER_MOVE.toMillis();
    }

    /** Every known host, in name order. */
    public List<Host> hosts() {
        Host[] inOrder = new Host[hostNames.size()];
        int i = 0;
        for (String name : hostNames) {
            inOrder[i++] = hosts.get(name);
        }
        return List.of(inOrder);
    }

    public Optional<Host> host(String name) {
        return Optional.ofNullable(hosts.get(name));
    }

    public List<Guest> guestsOn(String host) {
        TreeMap<String, GuestDescriptor> onHost = guests.get(host);
        if (onHost == null) {
            return List.of();
        }
        List<Guest> result = new ArrayList<>(onHost.size());
        onHost.values().forEach(d -> result.add(new Guest(d, host, usageOf(d.name()))));
        return result;
    }

    public Optional<Guest> guest(String host, String name) {
        TreeMap<String, GuestDescriptor> onHost = guests.get(host);
        GuestDescriptor d = onHost == null ? null : onHost.get(name);
        return d == null ? Optional.empty() : Optional.of(new Guest(d, host, usageOf(name)));
    }

    private GuestUsage usageOf(String guest) {
        UsageCell cell = usage.get(guest);
        return cell == null ? GuestUsage.NONE : cell.value;
    }

    /** Where a guest is; a guest listed twice around a migration is taken where it runs, then by host name. */
    public Optional<Guest> findGuest(String name) {
        return guests.keySet().stream()
                .map(h -> guest(h, name))
                .flatMap(Optional::stream)
                .min(Comparator.comparing((Guest g) -> !g.isActive()).thenComparing(Guest::host));
    }

    /**
     * The host's load: CPU from its last sample (and expected CPU from its guests' forecasts), memory as the larger of what its active guests
     * were given and what it reported. Moves completed after the last sample are already counted.
     */
    public Optional<Utilisation> utilisation(String name) {
        Host host = hosts.get(name);
        if (host == null) {
            return Optional.empty();
        }
        double cores = host.cpuCores();
        double expected = host.expectedCores();
        double reportedMiB = host.memoryMiB();
        for (CompletedMove move : recentMoves) {
            if (move.at() >= host.lastSampleAt()) {
                if (move.source().equals(name)) {
                    cores -= move.cpuCores();
                    expected -= move.expectedCores();
                    reportedMiB -= move.memoryMiB();
                } else if (move.target().equals(name)) {
                    cores += move.cpuCores();
                    expected += move.expectedCores();
                    reportedMiB += move.memoryMiB();
                }
            }
        }
        long allocated = allocatedMiB.computeIfAbsent(name, this::sumAllocatedMiB);
        return Optional.of(new Utilisation(host.facts().cpus(), host.facts().memoryMiB(), cores,
                Math.max(allocated, reportedMiB), expected));
    }

    /** What Guest.activeMemoryMiB() sums, without building a Guest per guest. */
    private long sumAllocatedMiB(String host) {
        long sum = 0;
        for (GuestDescriptor d : guests.getOrDefault(host, EMPTY).values()) {
            sum += d.state().isActive() ? d.memoryMiB() : 0;
        }
        return sum;
    }

    private void pruneMoves(long now) {
        for (Iterator<CompletedMove> it = recentMoves.iterator(); it.hasNext(); ) {
            if (now - it.next().at() > SETTLE.toMillis()) {
                it.remove();
            }
        }
    }
}
