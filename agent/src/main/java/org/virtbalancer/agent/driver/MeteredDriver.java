package org.virtbalancer.agent.driver;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationStats;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A {@link HypervisorDriver} that times every call of the driver it wraps and counts its errors:
 * {@code vb_agent_driver_call_duration_seconds{call}} (a histogram) and
 * {@code vb_agent_driver_call_errors_total{call,kind}}. Calls are labelled by SPI method, not by
 * host or guest, so a fleet of thousands of simulated hosts shares one set of series.
 * Error kinds: {@code hypervisor} (a {@link DriverException}: the hypervisor refused or failed),
 * {@code migration} (a {@link MigrationException}: the migration did not complete) and
 * {@code unexpected} (anything else the driver threw).
 */
public final class MeteredDriver implements HypervisorDriver {
    /** Bucket bounds: libvirt calls take milliseconds, migrations minutes. */
    private static final Duration[] BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5),
            Duration.ofMinutes(10), Duration.ofMinutes(30)};

    /** The SPI's methods, as the {@code call} label names them. */
    public enum Call {
        HOST_FACTS, GUESTS, SAMPLE_LOAD, LISTEN, MIGRATE, INSPECT_MIGRATION, FOLLOW_MIGRATION, ABORT, CLOSE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        boolean migrates() {
            return this == MIGRATE || this == FOLLOW_MIGRATION;
        }
    }

    /** What went wrong, as the {@code kind} label names it. */
    public enum ErrorKind {
        HYPERVISOR, MIGRATION, UNEXPECTED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final HypervisorDriver driver;
    private final Map<Call, Timer> timers = new HashMap<>();
    private final Map<Call, Map<ErrorKind, Counter>> errors = new HashMap<>();

    /** Wraps {@code driver}; every series is registered at once (at zero), so dashboards see them before any error. */
    public MeteredDriver(HypervisorDriver driver, MeterRegistry registry) {
        this.driver = driver;
        for (Call call : Call.values()) {
            timers.put(call, Timer.builder("vb.agent.driver.call.duration")
                    .description("Time hypervisor driver calls take (libvirt calls for the libvirt driver), by SPI method")
                    .tag("call", call.label())
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry));
            Map<ErrorKind, Counter> byKind = new HashMap<>();
            for (ErrorKind kind : ErrorKind.values()) {
                if (kind == ErrorKind.MIGRATION && !call.migrates()) {
                    continue;
                }
                byKind.put(kind, Counter.builder("vb.agent.driver.call.errors")
                        .description("Hypervisor driver calls that threw, by SPI method and kind of error")
                        .tag("call", call.label())
                        .tag("kind", kind.label())
                        .register(registry));
            }
            errors.put(call, byKind);
        }
    }

    /** The driver this one measures. */
    public HypervisorDriver unwrap() {
        return driver;
    }

    @FunctionalInterface
    private interface DriverCall<T> {
        T run() throws DriverException;
    }

    private <T> T measure(Call call, DriverCall<T> body) throws DriverException {
        long start = System.nanoTime();
        try {
            return body.run();
        } catch (MigrationException e) {
            count(call, call.migrates() ? ErrorKind.MIGRATION : ErrorKind.HYPERVISOR);
            throw e;
        } catch (DriverException e) {
            count(call, ErrorKind.HYPERVISOR);
            throw e;
        } catch (RuntimeException | Error e) {
            count(call, ErrorKind.UNEXPECTED);
            throw e;
        } finally {
            timers.get(call).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private void count(Call call, ErrorKind kind) {
        errors.get(call).get(kind).increment();
    }

    @Override
    public HostFacts hostFacts() throws DriverException {
        return measure(Call.HOST_FACTS, driver::hostFacts);
    }

    @Override
    public List<GuestDescriptor> guests() throws DriverException {
        return measure(Call.GUESTS, driver::guests);
    }

    @Override
    public HostLoad sampleLoad(Duration interval) throws DriverException {
        return measure(Call.SAMPLE_LOAD, () -> driver.sampleLoad(interval));
    }

    @Override
    public void listen(Consumer<DomainEvent> listener) throws DriverException {
        measure(Call.LISTEN, () -> {
            driver.listen(listener);
            return null;
        });
    }

    @Override
    public void onReconnected(Runnable resync) {
        driver.onReconnected(resync);
    }

    @Override
    public MigrationStats migrate(MigrationRequest request, MigrationProgress progress) throws MigrationException {
        return migration(Call.MIGRATE, () -> driver.migrate(request, progress));
    }

    @Override
    public MigrationJob inspectMigration(String guest, String target, Optional<HostFacts> targetFacts, MigrationMode mode)
            throws DriverException {
        return measure(Call.INSPECT_MIGRATION, () -> driver.inspectMigration(guest, target, targetFacts, mode));
    }

    @Override
    public MigrationStats followMigration(MigrationRequest request, MigrationProgress progress) throws MigrationException {
        return migration(Call.FOLLOW_MIGRATION, () -> driver.followMigration(request, progress));
    }

    /** The migration calls throw only MigrationException (and unchecked exceptions). */
    private MigrationStats migration(Call call, DriverCall<MigrationStats> body) throws MigrationException {
        try {
            return measure(call, body);
        } catch (MigrationException e) {
            throw e;
        } catch (DriverException e) {
            throw new IllegalStateException("a migration call threw " + e, e); // cannot happen: body throws MigrationException only
        }
    }

    @Override
    public boolean abort(String guest) throws DriverException {
        return measure(Call.ABORT, () -> driver.abort(guest));
    }

    @Override
    public void close() {
        try {
            measure(Call.CLOSE, () -> {
                driver.close();
                return null;
            });
        } catch (DriverException e) {
            throw new IllegalStateException("close threw " + e, e); // cannot happen: close throws no checked exception
        }
    }

    @Override
    public String toString() {
        return driver.toString();
    }
}
