package org.virtbalancer.balancer.replay;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The ground truth of a replay: hosts, the guests on them with their trace, memory and dirty
 * rate, and the migrations in flight. Policies read it; only {@link Replay} changes it.
 *
 * <p>How a cluster is drawn from a trace and a seed (all from one {@link Random}, so a seed always
 * gives the same cluster):
 * <ul>
 *   <li>hosts have 32 CPUs, 256 GiB and a 1000 MiB/s migration link (about what 10 GbE carries);</li>
 *   <li>each VM file becomes a guest with 1, 2, 4 or 8 vCPUs (equally likely); its CPU demand is
 *       vCPUs × the trace's percentage;</li>
 *   <li>memory 1, 2, 4, 8 or 16 GiB with weights 35/30/20/10/5 %: most guests are small, a few big;</li>
 *   <li>page-dirty rate log-uniform between 1 and 200 MiB/s: every factor of ten is equally likely,
 *       so most guests dirty little and a few dirty a lot (a heavy tail);</li>
 *   <li>placement: guests in a seeded shuffled order; each lands on a host drawn with a seeded weight
 *       between 0.5 and 1.5, so some hosts start with about three times the guests of others, as
 *       hand-grown clusters do; when that host would pass 80 % of its memory (the headroom operators
 *       keep for migrations and failover) the guest goes to the next host with room (first fit).</li>
 * </ul>
 */
public final class ReplayCluster {
    public static final int HOST_CPUS = 32;
    public static final long HOST_MEMORY_MIB = 256L * 1024;
    public static final double LINK_MIBPS = 1000;
    public static final String ARCH = "x86_64";
    /** Initial placement keeps this share of a host's memory free. */
    public static final double PLACEMENT_MEMORY_CAP = 0.80;
    private static final int[] VCPUS = {1, 2, 4, 8};
    private static final long[] MEMORY_GIB = {1, 2, 4, 8, 16};
    private static final double[] MEMORY_WEIGHTS = {0.35, 0.30, 0.20, 0.10, 0.05};

    /** A physical host. */
    public record HostSpec(String name, String arch, int cpus, long memoryMiB, double linkMiBps) {}

    /** A migration under way; the guest runs on {@code source} until {@code finishMinute}. */
    public record InFlight(String guest, String source, String target, int startMinute, int finishMinute,
                           double transferredMiB, boolean converges, String reason) {}

    /** A guest and where it is. Only the replay moves it. */
    public static final class Guest {
        private final String name;
        private final TraceSet.VmTrace trace;
        private final int vcpus;
        private final long memoryMiB;
        private final double dirtyRateMiBps;
        private String host;

        Guest(String name, TraceSet.VmTrace trace, int vcpus, long memoryMiB, double dirtyRateMiBps, String host) {
            this.name = name;
            this.trace = trace;
            this.vcpus = vcpus;
            this.memoryMiB = memoryMiB;
            this.dirtyRateMiBps = dirtyRateMiBps;
            this.host = host;
        }

        public String name() {
            return name;
        }

        public int vcpus() {
            return vcpus;
        }

        public long memoryMiB() {
            return memoryMiB;
        }

        public double dirtyRateMiBps() {
            return dirtyRateMiBps;
        }

        public String host() {
            return host;
        }

        /** CPU the guest wants at this minute, in cores. */
        public double cpuDemand(int minute) {
            return vcpus * trace.at(minute / TraceSet.STEP_MINUTES) / 100.0;
        }
    }

    private final Map<String, HostSpec> hosts = new LinkedHashMap<>();
    private final Map<String, Guest> guests = new LinkedHashMap<>();
    private final Map<String, InFlight> inFlight = new TreeMap<>();

    public ReplayCluster(List<HostSpec> hostList, List<Guest> guestList) {
        hostList.forEach(h -> hosts.put(h.name(), h));
        guestList.forEach(g -> guests.put(g.name(), g));
    }

    /** Host names for {@code count} hosts: host-01, host-02, … */
    public static String hostName(int index, int count) {
        return String.format(java.util.Locale.ROOT, "host-%0" + String.valueOf(count).length() + "d", index + 1);
    }

    /** Guest vCPUs, memory and dirty rates drawn from the seed, in trace order. */
    public record DrawnGuest(TraceSet.VmTrace trace, int vcpus, long memoryMiB, double dirtyRateMiBps) {}

    public static List<DrawnGuest> drawGuests(TraceSet traces, Random random) {
        List<DrawnGuest> drawn = new ArrayList<>();
        for (TraceSet.VmTrace t : traces.vms()) {
            int vcpus = VCPUS[random.nextInt(VCPUS.length)];
            double u = random.nextDouble();
            int m = 0;
            for (double acc = MEMORY_WEIGHTS[0]; u > acc && m < MEMORY_WEIGHTS.length - 1; acc += MEMORY_WEIGHTS[++m]) {
                // walk the cumulative weights
            }
            double dirty = Math.pow(10, random.nextDouble() * Math.log10(200));
            drawn.add(new DrawnGuest(t, vcpus, MEMORY_GIB[m] * 1024, dirty));
        }
        return drawn;
    }

    /** Host count that puts the day's mean total demand at {@code meanCpu} of the cluster's CPUs. */
    public static int hostsForMeanCpu(TraceSet traces, List<DrawnGuest> drawn, double meanCpu) {
        double demand = meanDemand(traces, drawn);
        return Math.max(1, (int) Math.round(demand / (meanCpu * HOST_CPUS)));
    }

    static double meanDemand(TraceSet traces, List<DrawnGuest> drawn) {
        return drawn.stream().mapToDouble(g -> g.vcpus() * g.trace().mean(traces.steps()) / 100.0).sum();
    }

    /** Draws guests and places them on {@code hostCount} x86_64 hosts, as the class comment describes. */
    public static ReplayCluster build(TraceSet traces, int hostCount, Random random, List<DrawnGuest> drawn) {
        List<HostSpec> hostList = new ArrayList<>();
        for (int i = 0; i < hostCount; i++) {
            hostList.add(new HostSpec(hostName(i, hostCount), ARCH, HOST_CPUS, HOST_MEMORY_MIB, LINK_MIBPS));
        }
        double[] weights = new double[hostCount];
        double total = 0;
        for (int i = 0; i < hostCount; i++) {
            weights[i] = 0.5 + random.nextDouble();
            total += weights[i];
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < drawn.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        long[] used = new long[hostCount];
        long cap = (long) (HOST_MEMORY_MIB * PLACEMENT_MEMORY_CAP);
        String[] placed = new String[drawn.size()];
        for (int idx : order) {
            DrawnGuest g = drawn.get(idx);
            double pick = random.nextDouble() * total;
            int h = 0;
            for (double acc = weights[0]; pick > acc && h < hostCount - 1; acc += weights[++h]) {
                // walk the cumulative weights
            }
            int tried = 0;
            while (used[h] + g.memoryMiB() > cap && tried < hostCount) {
                h = (h + 1) % hostCount;
                tried++;
            }
            if (tried == hostCount) {
                long totalGiB = drawn.stream().mapToLong(DrawnGuest::memoryMiB).sum() / 1024;
                throw new IllegalArgumentException(hostCount + " hosts of " + HOST_MEMORY_MIB / 1024 + " GiB cannot hold the"
                        + " guests' " + totalGiB + " GiB with " + Math.round((1 - PLACEMENT_MEMORY_CAP) * 100)
                        + " % headroom; ask for more --hosts or a lower --mean-cpu.");
            }
            used[h] += g.memoryMiB();
            placed[idx] = hostList.get(h).name();
        }
        List<Guest> guestList = new ArrayList<>();
        for (int i = 0; i < drawn.size(); i++) {
            DrawnGuest g = drawn.get(i);
            guestList.add(new Guest(g.trace().vm(), g.trace(), g.vcpus(), g.memoryMiB(), g.dirtyRateMiBps(), placed[i]));
        }
        return new ReplayCluster(hostList, guestList);
    }

    public List<HostSpec> hosts() {
        return List.copyOf(hosts.values());
    }

    public HostSpec host(String name) {
        HostSpec h = hosts.get(name);
        if (h == null) {
            throw new IllegalArgumentException("no host " + name + " in the replayed cluster");
        }
        return h;
    }

    public boolean hasHost(String name) {
        return hosts.containsKey(name);
    }

    public List<Guest> guests() {
        return List.copyOf(guests.values());
    }

    public Guest guest(String name) {
        Guest g = guests.get(name);
        if (g == null) {
            throw new IllegalArgumentException("no guest " + name + " in the replayed cluster");
        }
        return g;
    }

    public boolean hasGuest(String name) {
        return guests.containsKey(name);
    }

    public List<Guest> guestsOn(String host) {
        return guests.values().stream().filter(g -> g.host().equals(host)).toList();
    }

    /** Guests per host in host order; cheaper than calling {@link #guestsOn} per host. */
    public Map<String, List<Guest>> guestsByHost() {
        Map<String, List<Guest>> by = new LinkedHashMap<>();
        hosts.keySet().forEach(h -> by.put(h, new ArrayList<>()));
        guests.values().forEach(g -> by.get(g.host()).add(g));
        return by;
    }

    public double cpuDemand(String host, int minute) {
        double sum = 0;
        for (Guest g : guests.values()) {
            if (g.host().equals(host)) {
                sum += g.cpuDemand(minute);
            }
        }
        return sum;
    }

    public long memoryUsedMiB(String host) {
        long sum = 0;
        for (Guest g : guests.values()) {
            if (g.host().equals(host)) {
                sum += g.memoryMiB();
            }
        }
        return sum;
    }

    public List<InFlight> inFlight() {
        return List.copyOf(inFlight.values());
    }

    public boolean isMigrating(String guest) {
        return inFlight.containsKey(guest);
    }

    void start(InFlight migration) {
        inFlight.put(migration.guest(), migration);
    }

    /** Ends the migration; on success the guest now runs on the target. */
    void finish(InFlight migration) {
        inFlight.remove(migration.guest());
        if (migration.converges()) {
            guests.get(migration.guest()).host = migration.target();
        }
    }
}
