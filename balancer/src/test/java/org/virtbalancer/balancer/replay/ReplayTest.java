package org.virtbalancer.balancer.replay;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.protocol.PreCopyModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayTest {
    private static final long GIB = 1024;

    private static TraceSet.VmTrace flat(String name, int percent, int steps) {
        int[] v = new int[steps];
        Arrays.fill(v, percent);
        return new TraceSet.VmTrace(name, v);
    }

    private static ReplayCluster.Guest guest(String name, int vcpus, int percent, long memoryMiB, double dirty,
                                             String host, int steps) {
        return new ReplayCluster.Guest(name, flat(name, percent, steps), vcpus, memoryMiB, dirty, host);
    }

    private static ReplayCluster.HostSpec host(String name, String arch, int cpus, long memoryMiB) {
        return new ReplayCluster.HostSpec(name, arch, cpus, memoryMiB, 1000);
    }

    /** Starts the migrations written down for each minute, and nothing else. */
    private record Scripted(Map<Integer, List<Policy.MigrationRequest>> script) implements Policy {
        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public List<MigrationRequest> decide(ReplayCluster cluster, int minute) {
            return script.getOrDefault(minute, List.of());
        }
    }

    @Test
    void measuresOverloadImbalanceMigratedGibPingPongAndViolationsOnAHandCheckedDay() {
        ReplayCluster cluster = new ReplayCluster(
                List.of(host("h1", "x86_64", 4, 4 * GIB), host("h2", "x86_64", 4, 4 * GIB),
                        host("h3", "aarch64", 4, 4 * GIB)),
                List.of(guest("a", 4, 100, 3584, 1, "h1", 2), guest("b", 1, 50, GIB, 1, "h2", 2)));
        Map<Integer, List<Policy.MigrationRequest>> script = new HashMap<>();
        script.put(0, List.of(new Policy.MigrationRequest("b", "h1", "there")));
        script.put(2, List.of(new Policy.MigrationRequest("b", "h2", "and back")));
        script.put(5, List.of(new Policy.MigrationRequest("a", "h3", "wrong architecture")));

        ReplayMetrics m = new Replay(cluster, new Scripted(script)).run(10);

        // h1 carries a's 4 cores on 4 CPUs all ten minutes: above 90 % every minute; h2 and h3 never.
        assertEquals(10, m.overloadHostMinutes());
        // Loads (h1, h2, h3): (1, .125, 0) on minutes 0 and 3-9; (1.125, 0, 0) on minutes 1-2 while b is on h1.
        double apart = ReplayMetrics.stdDev(new double[]{1, 0.125, 0});
        double together = ReplayMetrics.stdDev(new double[]{1.125, 0, 0});
        assertEquals(together, m.imbalancePeak(), 1e-9);
        assertEquals((8 * apart + 2 * together) / 10, m.imbalanceMean(), 1e-9);
        assertEquals(2, m.migrations(), "the cross-architecture move is refused, not started");
        double one = PreCopyModel.live(GIB, 1, 1000, PreCopyModel.DEFAULT_MAX_DOWNTIME_MS, false, false).transferredMiB();
        assertEquals(2 * one / 1024, m.gibMigrated(), 1e-9);
        assertEquals(1, m.pingpong(), "b left h2 at minute 1 and was back at minute 3");
        assertEquals(Map.of("memory", 1, "architecture", 1), m.violationsByKind(),
                "b onto h1 needs 4.5 GiB of 4; a onto an aarch64 host");
        assertEquals("h2", cluster.guest("b").host());
        assertEquals("h1", cluster.guest("a").host());
    }

    @Test
    void aGuestReturningAfterThirtyMinutesIsNotPingPong() {
        ReplayCluster cluster = new ReplayCluster(List.of(host("h1", "x86_64", 4, 8 * GIB), host("h2", "x86_64", 4, 8 * GIB)),
                List.of(guest("b", 1, 50, GIB, 1, "h2", 12)));
        Map<Integer, List<Policy.MigrationRequest>> script = new HashMap<>();
        script.put(0, List.of(new Policy.MigrationRequest("b", "h1", "there")));
        script.put(31, List.of(new Policy.MigrationRequest("b", "h2", "back after 31 minutes")));
        ReplayMetrics m = new Replay(cluster, new Scripted(script)).run(60);
        assertEquals(2, m.migrations());
        assertEquals(0, m.pingpong());
    }

    @Test
    void noneNeverMigrates(@TempDir Path dir) throws IOException {
        writeTraces(dir, 60, 24);
        ReplayReport r = Replay.run(TraceSet.read(dir), Replay.Sizing.hosts(3), "none", 7);
        assertEquals(0, r.migrations());
        assertEquals(0, r.gibMigrated());
        assertEquals(60, r.guests());
    }

    /** One host carries 8 busy guests (19.2 of 16 cores), three hosts idle along. */
    private static ReplayCluster overloaded() {
        List<ReplayCluster.HostSpec> hosts = new ArrayList<>();
        List<ReplayCluster.Guest> guests = new ArrayList<>();
        for (int h = 1; h <= 4; h++) {
            hosts.add(host("host-" + h, "x86_64", 16, 256 * GIB));
        }
        for (int i = 0; i < 8; i++) {
            guests.add(guest("busy-" + i, 4, 60, 4 * GIB, 20, "host-1", 12));
        }
        for (int h = 2; h <= 4; h++) {
            guests.add(guest("idle-" + h, 2, 10, 2 * GIB, 5, "host-" + h, 12));
        }
        return new ReplayCluster(hosts, guests);
    }

    @Test
    void virtBalancerRelievesAnOverloadedHostWithoutViolations() {
        ReplayMetrics none = new Replay(overloaded(), new NoBalancing()).run(60);
        ReplayMetrics vb = new Replay(overloaded(), new VirtBalancerPolicy()).run(60);
        assertEquals(60, none.overloadHostMinutes());
        assertEquals(12, none.overloadAtStep(), "a static overload counts in the first minute of each of 12 steps");
        assertEquals(1, vb.overloadAtStep(), "after relief no step starts overloaded; minute 0 does");
        assertTrue(vb.overloadHostMinutes() < none.overloadHostMinutes() / 2,
                "vb left " + vb.overloadHostMinutes() + " overload host-minutes");
        assertTrue(vb.migrations() > 0);
        assertEquals(0, vb.violations());
        assertEquals(0, vb.pingpong());
    }

    @Test
    void proxLbSendsTheLargestGuestToTheNodeWithMostFreeCpu() {
        ReplayCluster cluster = new ReplayCluster(
                List.of(host("h1", "x86_64", 16, 64 * GIB), host("h2", "x86_64", 16, 64 * GIB),
                        host("h3", "x86_64", 16, 64 * GIB)),
                List.of(guest("big", 8, 100, GIB, 1, "h1", 2), guest("small", 1, 100, GIB, 1, "h1", 2),
                        guest("mid", 4, 100, GIB, 1, "h2", 2)));
        List<Policy.MigrationRequest> moves = new ProxLbPolicy().decide(cluster, 0);
        // Spread 9/16 - 0 > 10 points: big goes to h3 (empty); then 1/16, 4/16, 8/16 is still 7/16 apart,
        // mid (next largest) goes to the now emptiest h1; then 5/16, 0, 8/16... and so on until within 10 points.
        assertEquals(new Policy.MigrationRequest("big", "h3", "proxlb: cpu spread above balanciness"), moves.get(0));
        assertTrue(new ProxLbPolicy().decide(cluster, 1).isEmpty(), "ProxLB runs only every 5 minutes");
    }

    @Test
    void sandpiperMovesTheHighestVolumeToSizeGuestFromTheHotspotToTheLeastLoadedHost() {
        ReplayCluster cluster = new ReplayCluster(
                List.of(host("h1", "x86_64", 16, 64 * GIB), host("h2", "x86_64", 16, 64 * GIB),
                        host("h3", "x86_64", 16, 64 * GIB)),
                List.of(guest("dense", 6, 100, GIB, 1, "h1", 2), guest("bulky", 8, 100, 16 * GIB, 1, "h1", 2),
                        guest("w2", 8, 50, GIB, 1, "h2", 2), guest("w3", 2, 50, GIB, 1, "h3", 2)));
        SandpiperPolicy sandpiper = new SandpiperPolicy();
        assertTrue(sandpiper.decide(cluster, 0).isEmpty(), "one hot observation is not yet a hotspot");
        for (int minute = 1; minute < 5; minute++) {
            assertTrue(sandpiper.decide(cluster, minute).isEmpty(), "decisions come every 5 minutes");
        }
        List<Policy.MigrationRequest> moves = sandpiper.decide(cluster, 5);
        // h1 at 14/16 is hot in all 5 observations. dense (6 cores in 1 GiB) has by far the higher volume per MiB
        // than bulky (8 cores in 16 GiB); h3 (1 core) has the lowest volume of the hosts that can take it; h1 then
        // drops to 8/16 and is no longer hot, so bulky stays.
        assertEquals(List.of(new Policy.MigrationRequest("dense", "h3", "sandpiper: hotspot h1")), moves);
    }

    @Test
    void pveCrsIssuesOnlyTheSingleBestMove() {
        ReplayCluster cluster = new ReplayCluster(
                List.of(host("h1", "x86_64", 16, 64 * GIB), host("h2", "x86_64", 16, 64 * GIB)),
                List.of(guest("four", 4, 100, GIB, 1, "h1", 2), guest("two", 2, 100, GIB, 1, "h1", 2),
                        guest("one", 1, 100, GIB, 1, "h1", 2)));
        List<Policy.MigrationRequest> moves = new PveCrsPolicy().decide(cluster, 0);
        assertEquals(1, moves.size());
        assertEquals("four", moves.get(0).guest(), "3 against 4 cores is the most even split one move can make");
        assertEquals("h2", moves.get(0).target());
    }

    @Test
    void pveCrsLeavesABalancedClusterAlone() {
        ReplayCluster cluster = new ReplayCluster(
                List.of(host("h1", "x86_64", 16, 64 * GIB), host("h2", "x86_64", 16, 64 * GIB)),
                List.of(guest("x", 4, 100, GIB, 1, "h1", 2), guest("y", 4, 90, GIB, 1, "h2", 2)));
        assertTrue(new PveCrsPolicy().decide(cluster, 0).isEmpty());
    }

    @Test
    void theSameSeedGivesTheSameFigures(@TempDir Path dir) throws IOException {
        writeTraces(dir, 80, 24);
        TraceSet traces = TraceSet.read(dir);
        for (String policy : Replay.POLICIES) {
            ReplayReport first = Replay.run(traces, Replay.Sizing.meanCpu(0.8), policy, 42);
            ReplayReport second = Replay.run(traces, Replay.Sizing.meanCpu(0.8), policy, 42);
            assertEquals(withoutWall(first), withoutWall(second), policy);
        }
    }

    @Test
    void aMissingOrEmptyTraceDirectoryIsExplained(@TempDir Path dir) {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TraceSet.read(dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> TraceSet.read(dir));
        assertTrue(empty.getMessage().contains("holds no trace files"), empty.getMessage());
    }

    private static String withoutWall(ReplayReport r) {
        return r.toJson().replaceAll(",\"wall_seconds\":[0-9.]+", "");
    }

    /** Bursty made-up traces: each VM idles, then runs hot for a stretch that depends on its index. */
    private static void writeTraces(Path dir, int vms, int steps) throws IOException {
        for (int i = 0; i < vms; i++) {
            final int vm = i;
            String lines = IntStream.range(0, steps)
                    .mapToObj(s -> Integer.toString(((s + vm) % 7 < 3) ? 90 - vm % 10 : 5 + vm % 20))
                    .collect(Collectors.joining("\n"));
            Files.writeString(dir.resolve(String.format("vm-%03d", i)), lines + "\n");
        }
    }
}
