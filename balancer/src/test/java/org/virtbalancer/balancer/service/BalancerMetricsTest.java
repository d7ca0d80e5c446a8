package org.virtbalancer.balancer.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.core.Action;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.balancer.core.RecommendationSnapshot;
import org.virtbalancer.balancer.execute.Migration;
import org.virtbalancer.balancer.execute.Purpose;
import org.virtbalancer.balancer.execute.ResultOutcome;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the balancer's gauges, counters and histograms say for given snapshots, commands and results. */
class BalancerMetricsTest {
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicReference<BalancerVerticle.Role> role = new AtomicReference<>(BalancerVerticle.Role.LEADER);
    private final BalancerMetrics metrics = new BalancerMetrics(registry, Topics.defaults(), role::get,
            Clock.fixed(Instant.ofEpochMilli(1_000_000), ZoneOffset.UTC));

    /** A host sending 1 MiB/s over the network (1/1000 of its link) and 2 MiB/s to its disks. */
    private static HostSnapshot host(String name, double cpu, boolean overloaded, MaintenanceState state, int guests) {
        return new HostSnapshot(name, 16, 65536, cpu, 0.25, 0.001, 1, 2, cpu, overloaded, state, guests, guests - 1, false);
    }

    private static ClusterSnapshot snapshot(List<HostSnapshot> hosts, List<MaintenanceStatus> maintenance,
                                            int recommendations) {
        List<RecommendationSnapshot> pending = new ArrayList<>();
        for (int i = 0; i < recommendations; i++) {
            pending.add(new RecommendationSnapshot("p" + i, "overload h1", Purpose.BALANCING, List.of(), 0, 600_000));
        }
        return new ClusterSnapshot(1_000_000, AutomationLevel.PARTIAL, hosts, List.of(), 0, 0, 0, 0.12, maintenance,
                List.of(), List.of(), List.of(), pending);
    }

    private double gauge(String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    private static Migrate migrate(String guest) {
        return new Migrate(guest, "h1", "h2", MigrationMode.LIVE, MigrationOptions.move(), 2_000_000, "test");
    }

    /** The sample lines of a Prometheus scrape, e.g. {@code vb_host_guests{host="h1"} 6.0}. */
    private static List<String> samples(PrometheusMeterRegistry prometheus) {
        return prometheus.scrape().lines().filter(l -> !l.startsWith("#")).toList();
    }

    @Test
    void hostSeriesFollowTheSnapshotAndGoWhenTheHostLeavesTheModel() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        BalancerMetrics metrics = new BalancerMetrics(prometheus, Topics.defaults(), role::get, Clock.systemUTC());
        MaintenanceStatus draining = new MaintenanceStatus("h2", MaintenanceState.ENTERING, 5, 3, List.of(), List.of(), "");
        metrics.onTick(snapshot(List.of(host("h1", 0.91, true, MaintenanceState.ACTIVE, 6),
                host("h2", 0.30, false, MaintenanceState.ENTERING, 3)), List.of(draining), 2));

        List<String> first = samples(prometheus);
        for (String line : List.of("vb_host_load_ratio{host=\"h1\",resource=\"cpu\"} 0.91",
                "vb_host_load_ratio{host=\"h1\",resource=\"memory\"} 0.25",
                "vb_host_overloaded{host=\"h1\"} 1.0", "vb_host_overloaded{host=\"h2\"} 0.0",
                "vb_host_guests{host=\"h1\"} 6.0", "vb_host_guests_running{host=\"h1\"} 5.0",
                "vb_host_maintenance_state{host=\"h2\",state=\"entering\"} 1.0",
                "vb_host_maintenance_state{host=\"h2\",state=\"active\"} 0.0",
                "vb_host_maintenance_guests_remaining{host=\"h2\"} 3.0",
                "vb_host_maintenance_guests_remaining{host=\"h1\"} 0.0",
                "vb_host_load_ratio{host=\"h1\",resource=\"network\"} 0.001",
                "vb_host_throughput_bytes_per_second{host=\"h1\",resource=\"network\"} 1048576.0",
                "vb_host_throughput_bytes_per_second{host=\"h1\",resource=\"disk\"} 2097152.0",
                "vb_cluster_imbalance 0.12", "vb_cluster_hosts 2.0", "vb_cluster_guests 9.0",
                "vb_recommendations_pending 2.0", "vb_automation_level{level=\"partial\"} 1.0",
                "vb_automation_level{level=\"full\"} 0.0")) {
            assertTrue(first.contains(line), () -> line + " not in\n" + String.join("\n", first));
        }

        metrics.onTick(snapshot(List.of(host("h1", 0.40, false, MaintenanceState.ACTIVE, 6)), List.of(), 0));

        List<String> second = samples(prometheus);
        assertTrue(second.contains("vb_host_load_ratio{host=\"h1\",resource=\"cpu\"} 0.4"), String.join("\n", second));
        assertTrue(second.contains("vb_host_overloaded{host=\"h1\"} 0.0"));
        assertTrue(second.stream().noneMatch(l -> l.contains("host=\"h2\"")), "h2 left the model");
        assertTrue(second.contains("vb_cluster_hosts 1.0"));

        metrics.close();
        assertTrue(samples(prometheus).stream().noneMatch(l -> l.startsWith("vb_")), "close takes every series away");
    }

    @Test
    void countsStartedMigrationsByPurposeAndGivenUpOnesAsTimedOut() {
        metrics.onSent(List.of(
                new Action.SendMigrate("c1", migrate("a"), Purpose.BALANCING, false),
                new Action.SendMigrate("c2", migrate("b"), Purpose.MAINTENANCE, false),
                new Action.SendMigrate("c3", migrate("c"), Purpose.MAINTENANCE, false),
                new Action.SendMigrate("c4", migrate("d"), Purpose.BALANCING, true),
                new Action.SendAbort("c5", "h1", new Abort("c0", "z", "no final result"))));

        assertEquals(1, counter("vb.migrations.started", "purpose", "balance"));
        assertEquals(2, counter("vb.migrations.started", "purpose", "maintenance"));
        assertEquals(1, counter("vb.migrations.started", "purpose", "manual"));
        assertEquals(1, counter("vb.migrations.failed", "reason", "timed_out"));
    }

    @Test
    void recordsWhatASuccessfulMigrationDidWhileLeadingAndNothingAsAFollower() {
        Migration m = new Migration("c1", migrate("web"), Purpose.BALANCING, 0, ResultStatus.ACCEPTED, 0);
        CommandResult done = new CommandResult("c1", "h1", "web", ResultStatus.SUCCEEDED, 100, "",
                new MigrationStats(2048, 0, 3, 12_500, 40, 0));

        metrics.onResult(done, new ResultOutcome.Succeeded(m, false));
        role.set(BalancerVerticle.Role.FOLLOWER);
        metrics.onResult(done, new ResultOutcome.Succeeded(m, false));

        assertEquals(1, counter("vb.migrations.succeeded"));
        assertEquals(1, registry.get("vb.migration.duration").timer().count());
        assertEquals(12.5, registry.get("vb.migration.duration").timer().totalTime(TimeUnit.SECONDS));
        assertEquals(0.04, registry.get("vb.migration.downtime").timer().totalTime(TimeUnit.SECONDS), 1e-9);
        assertEquals(2048.0 * 1024 * 1024, registry.get("vb.migration.transferred").summary().totalAmount());
    }

    @Test
    void sortsFailuresIntoBoundedReasons() {
        assertEquals("rejected", BalancerMetrics.failure(ResultStatus.REJECTED, "target host h9 is not a known host"));
        assertEquals("timed_out", BalancerMetrics.failure(ResultStatus.FAILED,
                "aborted: the deadline 2026-01-01T00:00:00Z passed before the migration of web to h2 completed"));
        assertEquals("timed_out", BalancerMetrics.failure(ResultStatus.FAILED,
                "the deadline passed while the migration waited for a free slot on host h1"));
        assertEquals("aborted", BalancerMetrics.failure(ResultStatus.FAILED, "aborted: requested by an Abort command"));
        assertEquals("failed", BalancerMetrics.failure(ResultStatus.FAILED, "the live migration does not converge"));

        Migration m = new Migration("c1", migrate("web"), Purpose.BALANCING, 0, ResultStatus.ACCEPTED, 0);
        metrics.onResult(new CommandResult("c1", "h1", "web", ResultStatus.REJECTED, 0, "no", MigrationStats.NONE),
                new ResultOutcome.Failed(m, "no"));
        metrics.onResult(new CommandResult("c9", "h1", "web", ResultStatus.SUCCEEDED, 100, "", MigrationStats.NONE),
                new ResultOutcome.Ignored());
        assertEquals(1, counter("vb.migrations.failed", "reason", "rejected"));
        assertEquals(0, counter("vb.migrations.failed", "reason", "failed"));
        assertEquals(0, counter("vb.migrations.succeeded"), "an Abort's result or a repeat is not a migration");
    }

    @Test
    void roleIsAStateSetAndCloseTakesEverySeriesAway() {
        assertEquals(1, gauge("vb.balancer.role", "role", "leader"));
        assertEquals(0, gauge("vb.balancer.role", "role", "follower"));
        role.set(BalancerVerticle.Role.CATCHING_UP);
        assertEquals(1, gauge("vb.balancer.role", "role", "catching_up"));
        metrics.onTick(snapshot(List.of(host("h1", 0.5, false, MaintenanceState.ACTIVE, 1)), List.of(), 0));
        assertEquals(1, gauge("vb.cluster.hosts"), "cluster gauges are Micrometer's, in any registry");
        metrics.deadLettered("vb.host-load", BalancerMetrics.INVALID);
        assertEquals(1, counter("vb.dead.letters", "reason", "invalid", "topic", "vb.host-load"));
        assertTrue(Double.isNaN(gauge("vb.consumer.lag.records", "topic", "vb.commands.*")), "no consumer watched yet");

        metrics.close();

        assertTrue(registry.getMeters().stream().allMatch(m -> m.getId().getName().equals("vb.dead.letters")),
                () -> "left: " + registry.getMeters().stream().map(x -> x.getId().getName()).distinct().toList());
    }
}
