package org.virtbalancer.agent.driver;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.MigrationStats;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The driver decorator on the simulated hypervisor: every call timed by SPI method, every error counted by kind. */
class MeteredDriverTest {
    private final MeterRegistry registry = new SimpleMeterRegistry();

    private Timer timer(String call) {
        return registry.get("vb.agent.driver.call.duration").tag("call", call).timer();
    }

    private double errors(String call, String kind) {
        Counter c = registry.find("vb.agent.driver.call.errors").tag("call", call).tag("kind", kind).counter();
        assertNotNull(c, "no error series for " + call + "/" + kind);
        return c.count();
    }

    @Test
    void timesEachCallOfTheSimulatedHypervisorUnderItsMethodName() throws Exception {
        SimulatedFabric fabric = SimulatedFabric.builder().migrationSpeedup(1000)
                .host(HostSpec.of("a")).host(HostSpec.of("b")).build();
        fabric.addGuest("a", GuestSpec.of("web").withMemoryMiB(1024));
        HypervisorDriver driver = new MeteredDriver(fabric.driver("a"), registry);

        assertEquals("a", driver.hostFacts().host());
        assertEquals(1, driver.guests().size());
        driver.sampleLoad(Duration.ofSeconds(1));
        driver.sampleLoad(Duration.ofSeconds(1));
        MigrationStats stats = driver.migrate(new MigrationRequest("web", fabric.hostFacts("b").orElseThrow(),
                MigrationMode.LIVE, MigrationOptions.move(), Instant.now().plusSeconds(600)), (p, s) -> { });

        assertTrue(stats.transferredMiB() > 0);
        assertEquals(1, timer("host_facts").count());
        assertEquals(1, timer("guests").count());
        assertEquals(2, timer("sample_load").count());
        assertEquals(1, timer("migrate").count());
        assertTrue(timer("migrate").totalTime(TimeUnit.NANOSECONDS) > 0);
        assertEquals(0, timer("abort").count(), "a call never made has its series, at zero");
        assertEquals(0, errors("migrate", "migration"));
    }

    @Test
    void countsAFailedMigrationAsAMigrationErrorAndAHypervisorRefusalAsAHypervisorError() throws Exception {
        SimulatedFabric fabric = SimulatedFabric.builder().host(HostSpec.of("a")).host(HostSpec.of("b")).build();
        fabric.addGuest("a", GuestSpec.of("web"));
        HypervisorDriver driver = new MeteredDriver(fabric.driver("a"), registry);
        MigrationRequest late = new MigrationRequest("web", fabric.hostFacts("b").orElseThrow(), MigrationMode.LIVE,
                MigrationOptions.move(), Instant.now().minusSeconds(1));

        assertThrows(MigrationException.class, () -> driver.migrate(late, (p, s) -> { }));
        fabric.removeHost("a");
        assertThrows(DriverException.class, driver::hostFacts);

        assertEquals(1, errors("migrate", "migration"));
        assertEquals(1, timer("migrate").count(), "a failed call is timed too");
        assertEquals(0, errors("migrate", "hypervisor"));
        assertEquals(0, errors("migrate", "unexpected"));
        assertEquals(1, errors("host_facts", "hypervisor"));
        assertEquals(1, timer("host_facts").count());
    }

    @Test
    void countsWhatADriverThrowsUncheckedAsUnexpectedAndPassesReconnectionCallbacksThrough() {
        AtomicInteger resyncs = new AtomicInteger();
        HypervisorDriver broken = new BrokenDriver(resyncs);
        MeteredDriver driver = new MeteredDriver(broken, registry);

        IllegalStateException thrown = assertThrows(IllegalStateException.class, driver::hostFacts);
        assertEquals("libvirt went away", thrown.getMessage());
        driver.onReconnected(resyncs::incrementAndGet);

        assertEquals(1, errors("host_facts", "unexpected"));
        assertEquals(2, resyncs.get(), "the wrapped driver got the callback (and ran it)");
        assertSame(broken, driver.unwrap());
    }

    @Test
    void manyHostsShareOneSetOfSeries() throws Exception {
        SimulatedFabric fabric = SimulatedFabric.builder().host(HostSpec.of("a")).host(HostSpec.of("b")).build();
        new MeteredDriver(fabric.driver("a"), registry).hostFacts();
        new MeteredDriver(fabric.driver("b"), registry).hostFacts();

        assertEquals(2, timer("host_facts").count());
        assertEquals(MeteredDriver.Call.values().length, registry.find("vb.agent.driver.call.duration").timers().size());
    }

    /** A driver whose hypervisor connection throws unchecked; it runs resync callbacks at once. */
    private record BrokenDriver(AtomicInteger resyncs) implements HypervisorDriver {
        @Override
        public HostFacts hostFacts() {
            throw new IllegalStateException("libvirt went away");
        }

        @Override
        public List<GuestDescriptor> guests() {
            return List.of();
        }

        @Override
        public HostLoad sampleLoad(Duration interval) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void listen(Consumer<DomainEvent> listener) {
        }

        @Override
        public void onReconnected(Runnable resync) {
            resyncs.incrementAndGet();
            resync.run();
        }

        @Override
        public MigrationStats migrate(MigrationRequest request, MigrationProgress progress) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MigrationJob inspectMigration(String guest, String target, Optional<HostFacts> targetFacts, MigrationMode mode) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MigrationStats followMigration(MigrationRequest request, MigrationProgress progress) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean abort(String guest) {
            return false;
        }

        @Override
        public void close() {
        }
    }
}
