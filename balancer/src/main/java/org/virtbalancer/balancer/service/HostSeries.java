package org.virtbalancer.balancer.service;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.protocol.MaintenanceState;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The per-host gauges ({@code vb_host_*}), written straight from the latest published hosts at
 * scrape time. Not Micrometer meters: registering a meter costs time in proportion to the meters
 * already registered, so tens of thousands of host series (10,000 hosts × 12) took seconds to
 * register and seconds to scrape; built here they cost a fraction of a second per scrape, on the
 * scraping thread, and a host's series end with it.
 */
final class HostSeries implements MultiCollector {
    /** One host as its gauges read it: its snapshot, and the guests left on it if it is leaving service. */
    record Row(HostSnapshot snapshot, int maintenanceRemaining) {}

    private static final double MIB = 1024.0 * 1024;

    private static final List<String> NAMES = List.of("vb_host_load_ratio", "vb_host_throughput_bytes_per_second",
            "vb_host_overloaded", "vb_host_stale", "vb_host_guests", "vb_host_guests_running", "vb_host_maintenance_state",
            "vb_host_maintenance_guests_remaining");

    private volatile Map<String, Row> rows = Map.of();

    /** Replaces every host's figures (a map not changed afterwards); hosts not in it have no series from now on. */
    void publish(Map<String, Row> latest) {
        rows = latest;
    }

    @Override
    public List<String> getPrometheusNames() {
        return NAMES;
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, Row> hosts = new TreeMap<>(rows); // sorted here, on the scraping thread
        return new MetricSnapshots(
                gauge("vb_host_load_ratio", "Normalised load of the host by resource, as the balancer models it: CPU in"
                        + " use / CPUs, memory in use / memory, network traffic / migration link bandwidth (1 = full)",
                        hosts, "resource", List.of("cpu", "memory", "network"), List.of(r -> r.snapshot().cpuLoad(),
                                r -> r.snapshot().memoryLoad(), r -> r.snapshot().networkLoad())),
                gauge("vb_host_throughput_bytes_per_second", "Network and disk throughput of the host in its latest load"
                        + " sample (disk has no known capacity, so no ratio)", hosts, "resource", List.of("network", "disk"),
                        List.of(r -> r.snapshot().netMiBps() * MIB, r -> r.snapshot().diskMiBps() * MIB)),
                gauge("vb_host_overloaded", "1 while the overload detector holds the host overloaded", hosts,
                        r -> r.snapshot().overloaded() ? 1 : 0),
                gauge("vb_host_stale", "1 while the host's latest load sample is too old to plan with", hosts,
                        r -> r.snapshot().stale() ? 1 : 0),
                gauge("vb_host_guests", "Guests on the host", hosts, r -> r.snapshot().guests()),
                gauge("vb_host_guests_running", "Running guests on the host", hosts, r -> r.snapshot().runningGuests()),
                gauge("vb_host_maintenance_state", "1 for the host's maintenance state (active, entering, in_maintenance),"
                        + " 0 for the others", hosts, "state", stateLabels(), stateReaders()),
                gauge("vb_host_maintenance_guests_remaining", "Guests still on a host that is entering or in maintenance;"
                        + " 0 for hosts in service", hosts, r -> r.maintenanceRemaining()));
    }

    private static GaugeSnapshot gauge(String name, String help, Map<String, Row> hosts, ToDoubleFunction<Row> value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        hosts.forEach((host, row) -> b.dataPoint(point(Labels.of("host", host), value.applyAsDouble(row))));
        return b.build();
    }

    private static GaugeSnapshot gauge(String name, String help, Map<String, Row> hosts, String key, List<String> labels,
                                       List<ToDoubleFunction<Row>> values) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        hosts.forEach((host, row) -> {
            for (int i = 0; i < labels.size(); i++) {
                b.dataPoint(point(Labels.of("host", host, key, labels.get(i)), values.get(i).applyAsDouble(row)));
            }
        });
        return b.build();
    }

    private static GaugeDataPointSnapshot point(Labels labels, double value) {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    private static List<String> stateLabels() {
        List<String> labels = new ArrayList<>();
        for (MaintenanceState s : MaintenanceState.values()) {
            labels.add(s.name().toLowerCase(Locale.ROOT));
        }
        return labels;
    }

    private static List<ToDoubleFunction<Row>> stateReaders() {
        List<ToDoubleFunction<Row>> readers = new ArrayList<>();
        for (MaintenanceState s : MaintenanceState.values()) {
            readers.add(r -> r.snapshot().maintenance() == s ? 1 : 0);
        }
        return readers;
    }
}
