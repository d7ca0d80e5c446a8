package org.virtbalancer.deploy.cli;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.lang.management.ManagementFactory;

/**
 * The meter registry of a {@code vbal} process: Prometheus, with the JVM's memory, GC, CPU and
 * uptime. Two of Micrometer's process meters break Prometheus naming rules ({@code promtool check
 * metrics} reports them): {@code process_cpu_time_ns_total} (a unit other than seconds) is replaced
 * by the conventional {@code process_cpu_seconds_total}, and the gauge {@code system_cpu_count}
 * (a {@code _count} suffix belongs to histograms) is named {@code system_cpus}.
 */
final class ProcessMetrics {
    private ProcessMetrics() {}

    /** A new registry with the JVM and process meters bound; they live as long as the process. */
    @SuppressWarnings("resource") // the GC listener stays registered for the process's lifetime
    static PrometheusMeterRegistry registry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        conventional(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            FunctionCounter.builder("process.cpu", os, b -> b.getProcessCpuTime() / 1e9).baseUnit("seconds")
                    .description("CPU time the process used").register(registry);
        }
        return registry;
    }

    /** Filters that keep Micrometer's own meters within Prometheus naming rules; set before binding them. */
    static void conventional(MeterRegistry registry) {
        registry.config()
                .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
                    }
                });
    }
}
