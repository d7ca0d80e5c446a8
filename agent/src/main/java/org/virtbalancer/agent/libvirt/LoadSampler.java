package org.virtbalancer.agent.libvirt;

import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.HostLoad;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns libvirt's cumulative counters (CPU time, bytes read and written) into rates over the time
 * between two samples. The first sample of a host or guest has nothing to compare with: its rates are 0.
 * Thread-safe.
 */
final class LoadSampler {
    private static final double MIB = 1024.0 * 1024.0;

    /**
     * Host counters; {@code busyNs}/{@code totalNs} are negative when libvirt has no node CPU stats.
     *
     * @param memoryUsedMiB memory in use on the host
     */
    record HostReading(long busyNs, long totalNs, long memoryUsedMiB) {}

    /**
     * One active guest's counters.
     *
     * @param cpuTimeNs CPU time used since the guest started
     * @param diskBytes bytes read and written on all its disks since it started
     * @param netBytes  bytes received and sent on all its interfaces since it started
     * @param running   false when paused: a paused guest uses no CPU and moves no data
     */
    record GuestReading(String name, String uuid, long cpuTimeNs, long memoryMiB, long diskBytes, long netBytes,
                        double dirtyRateMiBps, boolean running) {}

    private record Counters(long atNs, long cpuTimeNs, long diskBytes, long netBytes) {}

    private long lastBusyNs = -1;
    private long lastTotalNs = -1;
    private final Map<String, Counters> guests = new HashMap<>();

    synchronized HostLoad sample(String host, long intervalMs, int cpus, HostReading hostReading, List<GuestReading> readings,
                                 long nowNs) {
        List<GuestLoad> loads = new ArrayList<>();
        Map<String, Counters> seen = new HashMap<>();
        double guestCpu = 0;
        double net = 0;
        double disk = 0;
        for (GuestReading g : readings) {
            Counters now = new Counters(nowNs, g.cpuTimeNs(), g.diskBytes(), g.netBytes());
            Counters before = guests.get(g.uuid());
            seen.put(g.uuid(), now);
            double seconds = before == null ? 0 : (nowNs - before.atNs()) / 1e9;
            double cores = 0;
            double diskMiBps = 0;
            double netMiBps = 0;
            if (seconds > 0 && g.running()) {
                // Counters restart with the guest; a drop means a new run, not negative load.
                cores = Math.max(0, g.cpuTimeNs() - before.cpuTimeNs()) / 1e9 / seconds;
                diskMiBps = Math.max(0, g.diskBytes() - before.diskBytes()) / MIB / seconds;
                netMiBps = Math.max(0, g.netBytes() - before.netBytes()) / MIB / seconds;
            }
            GuestLoad l = new GuestLoad(g.name(), cores, Math.max(0, g.memoryMiB()), g.running() ? Math.max(0, g.dirtyRateMiBps()) : 0,
                    netMiBps, diskMiBps);
            loads.add(l);
            guestCpu += cores;
            net += netMiBps;
            disk += diskMiBps;
        }
        guests.clear();
        guests.putAll(seen);

        double hostCpu;
        if (hostReading.busyNs() < 0 || hostReading.totalNs() < 0) {
            hostCpu = guestCpu;
        } else {
            long dBusy = hostReading.busyNs() - lastBusyNs;
            long dTotal = hostReading.totalNs() - lastTotalNs;
            hostCpu = lastBusyNs < 0 || dTotal <= 0 || dBusy < 0 ? 0 : Math.min(cpus, (double) dBusy / dTotal * cpus);
            lastBusyNs = hostReading.busyNs();
            lastTotalNs = hostReading.totalNs();
        }
        return new HostLoad(host, Math.max(1, intervalMs), hostCpu, Math.max(0, hostReading.memoryUsedMiB()), net, disk, loads);
    }
}
