package org.virtbalancer.deploy.libvirt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.libvirt.LibvirtDriver;
import org.virtbalancer.agent.libvirt.LibvirtDriverConfig;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.DomainEventKind;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Host A's libvirtd of the test bed is stopped and started again under a connected driver. The
 * daemon is the test bed's, started the one way every test libvirtd is (deploy/testbed/two-hosts.sh).
 */
@ExtendWith(LibvirtTestbed.Resolver.class)
class LibvirtDriverReconnectTest {
    private LibvirtTestbed bed;
    private LibvirtDriver driver;

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
        if (bed != null) {
            bed.startDaemon(LibvirtTestbed.HOST_A); // for the tests after this one, whatever happened here
        }
    }

    @Test
    void callsFailWithAReasonWhileLibvirtdIsDownAndEventsFlowAgainAfterItIsBack(LibvirtTestbed testbed) throws Exception {
        bed = testbed;
        bed.clean();
        String uri = bed.uri(LibvirtTestbed.HOST_A);
        driver = new LibvirtDriver(LibvirtDriverConfig.of("host-r", uri));
        List<DomainEvent> events = new CopyOnWriteArrayList<>();
        driver.listen(events::add);
        AtomicInteger resyncs = new AtomicInteger();
        driver.onReconnected(resyncs::incrementAndGet);
        assertEquals(List.of(), driver.guests());

        bed.stopDaemon(LibvirtTestbed.HOST_A);
        DriverException down = await().atMost(Duration.ofSeconds(10)).until(this::guestsFailure, e -> e != null);
        assertTrue(down.getMessage().contains(uri), down.getMessage());
        assertTrue(down.getMessage().contains("check that libvirtd runs on host host-r"), down.getMessage());
        assertThrows(DriverException.class, driver::hostFacts);
        assertThrows(DriverException.class, () -> driver.sampleLoad(Duration.ofSeconds(1)));

        bed.startDaemon(LibvirtTestbed.HOST_A);
        await().atMost(Duration.ofSeconds(40)).until(() -> guestsFailure() == null);
        assertEquals("host-r", driver.hostFacts().host());
        await().atMost(Duration.ofSeconds(10)).until(() -> resyncs.get() == 1);

        Connect operator = new Connect(uri);
        try {
            Domain d = operator.domainDefineXML("<domain type='qemu'><name>after-restart</name><memory unit='MiB'>64</memory>"
                    + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>");
            await().atMost(Duration.ofSeconds(10)).until(() -> events.contains(
                    new DomainEvent("host-r", "after-restart", DomainEventKind.DEFINED, "added")));
            d.undefine();
            d.free();
        } finally {
            operator.close();
        }
        assertEquals(List.of(new DomainEvent("host-r", "after-restart", DomainEventKind.DEFINED, "added")),
                events.stream().filter(e -> e.kind() != DomainEventKind.UNDEFINED).toList(),
                "nothing made up about the outage, only what really happened");
    }

    private DriverException guestsFailure() {
        try {
            driver.guests();
            return null;
        } catch (DriverException e) {
            return e;
        }
    }
}
