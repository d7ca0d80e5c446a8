package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.MigrationException;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.DomainEventKind;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.StoragePool;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Against libvirt's {@code test:///default} driver: one in-memory hypervisor per process, shared by
 * every connection, with a running domain "test". Tests name their own guests uniquely.
 */
class LibvirtDriverTest {
    private static final String TEST_URI = "test:///default";

    private LibvirtDriver driver;
    private Connect other;

    @BeforeEach
    void connect() throws Exception {
        driver = new LibvirtDriver(LibvirtDriverConfig.of("host-a", TEST_URI).withPeerUri("test+tcp://10.0.0.1/default")
                .withMigrationAddress("10.0.0.1").withSubnet("10.0.0.0/24").withLabels(Map.of("rack", "r1")));
        // A second, independent client: what an operator's virsh would be.
        other = new Connect(TEST_URI);
    }

    @AfterEach
    void disconnect() throws Exception {
        driver.close();
        other.close();
    }

    private static String guestXml(String name) {
        return "<domain type='test'><name>" + name + "</name><uuid>" + UUID.randomUUID() + "</uuid>"
                + "<memory unit='MiB'>256</memory><vcpu>2</vcpu><os><type arch='i686'>hvm</type></os>"
                + "<devices><disk type='file' device='disk'><driver name='qemu' cache='none'/>"
                + "<source file='/guest/" + name + ".img'/><target dev='vda' bus='virtio'/></disk></devices></domain>";
    }

    private static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static HostFacts hostB() {
        return new HostFacts("host-b", "i686", "i686", 16, 3072, 1250, "TEST", "9.0.0", "0.0.2", "10.0.0.0/24", "10.0.0.2",
                TEST_URI, Map.of(), List.of(), QemuIdentity.UNKNOWN);
    }

    private static MigrationRequest request(String guest, HostFacts target, MigrationMode mode, MigrationOptions options) {
        return new MigrationRequest(guest, target, mode, options, Instant.now().plusSeconds(60));
    }

    @Test
    void factsDescribeTheHostFromLibvirtAndTheConfig() throws Exception {
        HostFacts f = driver.hostFacts();
        assertEquals("host-a", f.host());
        assertEquals("i686", f.arch());
        assertEquals(16, f.cpus());
        assertEquals(3072, f.memoryMiB());
        assertEquals("TEST", f.hypervisor());
        assertTrue(f.libvirtVersion().matches("\\d+\\.\\d+\\.\\d+"), f.libvirtVersion());
        assertEquals("0.0.2", f.qemuVersion(), "the test driver's hypervisor version 2");
        assertEquals("test+tcp://10.0.0.1/default", f.libvirtUri(), "peers reach this host at its peer URI");
        assertEquals("10.0.0.1", f.migrationAddress());
        assertEquals("10.0.0.0/24", f.subnet());
        assertEquals(1250, f.linkMiBps());
        assertEquals("r1", f.labels().get("rack"));
        assertFalse(f.labels().getOrDefault("hostname", "").isEmpty());
    }

    @Test
    void factsListTheTestDriversDefaultPoolAndDefinedButInactivePools() throws Exception {
        List<StoragePool> pools = driver.hostFacts().pools();
        assertTrue(pools.contains(new StoragePool("default-pool", "dir", "/default-pool", "", "", true)), () -> "pools were " + pools);

        String name = uniqueName("nfs");
        org.libvirt.StoragePool defined = other.storagePoolDefineXML("<pool type='netfs'><name>" + name + "</name><source>"
                + "<host name='nfs.example.org'/><dir path='/export/images'/><format type='nfs'/></source>"
                + "<target><path>/mnt/" + name + "</path></target></pool>", 0);
        try {
            List<StoragePool> withDefined = driver.hostFacts().pools();
            assertTrue(withDefined.contains(new StoragePool(name, "netfs", "/mnt/" + name, "nfs.example.org", "/export/images", false)),
                    () -> "pools were " + withDefined);
        } finally {
            defined.undefine();
            defined.free();
        }
        assertTrue(driver.hostFacts().pools().stream().noneMatch(p -> p.name().equals(name)), "an undefined pool is gone");
    }

    @Test
    void guestsListVolumeDisksWithTheirPoolAndPathAndFilesWithThePoolHoldingThem() throws Exception {
        String name = uniqueName("vol");
        org.libvirt.StoragePool pool = other.storagePoolLookupByName("default-pool");
        org.libvirt.StorageVol vol = pool.storageVolCreateXML("<volume><name>" + name + ".qcow2</name>"
                + "<capacity unit='MiB'>1</capacity></volume>", 0);
        Domain d = other.domainDefineXML("<domain type='test'><name>" + name + "</name><memory unit='MiB'>64</memory>"
                + "<os><type arch='i686'>hvm</type></os><devices>"
                + "<disk type='volume' device='disk'><driver name='qemu' cache='none'/><source pool='default-pool' volume='"
                + name + ".qcow2'/><target dev='vda' bus='virtio'/></disk>"
                + "<disk type='file' device='cdrom'><source file='/default-pool/install.iso'/><target dev='hdc' bus='ide'/></disk>"
                + "</devices></domain>");
        try {
            assertEquals(List.of(
                    new Disk("vda", "disk", "virtio", "none", "/default-pool/" + name + ".qcow2", "default-pool", false),
                    new Disk("hdc", "cdrom", "ide", "", "/default-pool/install.iso", "default-pool", true)),
                    guest(name).disks());
        } finally {
            d.undefine();
            d.free();
            vol.delete(0);
            vol.free();
            pool.free();
        }
    }

    @Test
    void factsOfARemoteOrTestUriCarryNoQemuIdentity() throws Exception {
        assertEquals(QemuIdentity.UNKNOWN, driver.hostFacts().qemu());
    }

    @Test
    void guestsIncludeTheRunningDefaultDomain() throws Exception {
        GuestDescriptor test = driver.guests().stream().filter(g -> g.name().equals("test")).findFirst().orElseThrow();
        assertEquals(GuestState.RUNNING, test.state());
        assertTrue(test.persistent());
        assertEquals(2, test.vcpus());
        assertEquals(8192, test.memoryMiB());
        assertEquals("vda", test.disks().get(0).target());
        assertEquals("/guest/diskimage1", test.disks().get(0).source());
        assertEquals("6695eb01-f6a4-8304-79aa-97f2502e193f", test.uuid());
    }

    @Test
    void stateChangesArriveAsDomainEventsAndShowInTheGuestList() throws Exception {
        List<DomainEvent> events = new CopyOnWriteArrayList<>();
        driver.listen(events::add);
        String name = uniqueName("events");

        Domain d = other.domainDefineXML(guestXml(name));
        awaitEvent(events, name, DomainEventKind.DEFINED, "added");
        assertEquals(GuestState.SHUTOFF, guest(name).state());
        assertTrue(guest(name).persistent());

        d.create();
        awaitEvent(events, name, DomainEventKind.STARTED, "booted");
        assertEquals(GuestState.RUNNING, guest(name).state());

        d.suspend();
        awaitEvent(events, name, DomainEventKind.SUSPENDED, "paused");
        assertEquals(GuestState.PAUSED, guest(name).state());

        d.resume();
        awaitEvent(events, name, DomainEventKind.RESUMED, "unpaused");

        d.destroy();
        awaitEvent(events, name, DomainEventKind.STOPPED, "destroyed");
        assertEquals(GuestState.SHUTOFF, guest(name).state());

        d.undefine();
        awaitEvent(events, name, DomainEventKind.UNDEFINED, "removed");
        assertTrue(driver.guests().stream().noneMatch(g -> g.name().equals(name)));
        d.free();

        List<DomainEventKind> kinds = events.stream().filter(e -> e.guest().equals(name)).map(DomainEvent::kind).toList();
        assertEquals(List.of(DomainEventKind.DEFINED, DomainEventKind.STARTED, DomainEventKind.SUSPENDED, DomainEventKind.RESUMED,
                DomainEventKind.STOPPED, DomainEventKind.UNDEFINED), kinds);
        assertTrue(events.stream().allMatch(e -> e.host().equals("host-a")));
    }

    @Test
    void aTransientGuestIsStartedWithoutADefinition() throws Exception {
        List<DomainEvent> events = new CopyOnWriteArrayList<>();
        driver.listen(events::add);
        String name = uniqueName("transient");
        Domain d = other.domainCreateXML(guestXml(name), 0);
        awaitEvent(events, name, DomainEventKind.STARTED, "booted");
        assertFalse(guest(name).persistent());
        d.destroy();
        awaitEvent(events, name, DomainEventKind.STOPPED, "destroyed");
        d.free();
        assertTrue(events.stream().noneMatch(e -> e.guest().equals(name) && e.kind() == DomainEventKind.DEFINED));
    }

    @Test
    void listeningAgainReplacesTheListener() throws Exception {
        List<DomainEvent> first = new CopyOnWriteArrayList<>();
        List<DomainEvent> second = new CopyOnWriteArrayList<>();
        driver.listen(first::add);
        driver.listen(second::add);
        String name = uniqueName("relisten");
        Domain d = other.domainDefineXML(guestXml(name));
        awaitEvent(second, name, DomainEventKind.DEFINED, "added");
        d.undefine();
        awaitEvent(second, name, DomainEventKind.UNDEFINED, "removed");
        d.free();
        assertTrue(first.stream().noneMatch(e -> e.guest().equals(name)));
    }

    @Test
    void loadSamplesAreNonNegativeAndStartWithoutRates() throws Exception {
        HostLoad first = driver.sampleLoad(Duration.ofSeconds(10));
        GuestLoad test = first.guests().stream().filter(g -> g.guest().equals("test")).findFirst().orElseThrow();
        assertEquals(0, test.cpuCores(), "nothing to compare with yet");
        assertEquals(0, test.diskMiBps());
        assertEquals(2048, test.memoryMiB(), "the balloon's current size");
        assertEquals(10_000, first.intervalMs());

        HostLoad second = driver.sampleLoad(Duration.ofSeconds(10));
        assertEquals("host-a", second.host());
        assertTrue(second.cpuCores() >= 0 && second.cpuCores() <= 16, "host CPU " + second.cpuCores());
        assertTrue(second.memoryMiB() >= 0 && second.memoryMiB() <= 3072, "host memory " + second.memoryMiB());
        for (GuestLoad g : second.guests()) {
            assertTrue(g.cpuCores() >= 0 && g.diskMiBps() >= 0 && g.netMiBps() >= 0 && g.dirtyRateMiBps() == 0, g.toString());
        }
        assertTrue(second.guests().stream().noneMatch(g -> guestState(g.guest()) == GuestState.SHUTOFF),
                "only running or paused guests have load");
    }

    @Test
    void migrationThatLibvirtCannotDoFailsWithLibvirtsReasonAndTheGuestStays() throws Exception {
        String name = uniqueName("mig");
        Domain d = other.domainCreateXML(guestXml(name), 0);
        try {
            List<Integer> percents = new CopyOnWriteArrayList<>();
            MigrationException e = assertThrows(MigrationException.class, () -> driver.migrate(
                    request(name, hostB(), MigrationMode.LIVE, MigrationOptions.move()), (p, s) -> percents.add(p)));
            assertTrue(e.reason().startsWith("libvirt refused to migrate " + name + " to host-b: "), e.reason());
            assertTrue(e.reason().contains("not supported"), "keeps libvirt's own words: " + e.reason());
            assertTrue(e.reason().contains("the guest stays on host-a (running)"), e.reason());
            assertTrue(e.reason().contains("qemu://"), "says what to do: " + e.reason());
            assertEquals(MigrationStats.NONE.transferredMiB(), e.stats().transferredMiB());
            assertEquals(GuestState.RUNNING, guest(name).state());
            assertFalse(driver.abort(name), "nothing is migrating any more");
        } finally {
            d.destroy();
            d.free();
        }
    }

    @Test
    void migrationsLibvirtWouldRefuseAreRefusedBeforeAnyCallWithWhatToDo() throws Exception {
        MigrationOptions move = MigrationOptions.move();
        assertReason("is not on host host-a", request("no-such-guest", hostB(), MigrationMode.LIVE, move));
        assertReason("offline migration moves only the definition of a shut-off guest",
                request("test", hostB(), MigrationMode.OFFLINE, move));
        assertReason("is already on host-a", request("test", driver.hostFacts(), MigrationMode.LIVE, move));
        assertReason("same CPU architecture", request("test", new HostFacts("host-b", "aarch64", "", 4, 4096, 1250, "QEMU", "",
                "", "", "", TEST_URI, Map.of(), List.of(), QemuIdentity.UNKNOWN), MigrationMode.LIVE, move));
        assertReason("has already passed", new MigrationRequest("test", hostB(), MigrationMode.LIVE, move, Instant.now().minusSeconds(1)));
        MigrationOptions foreignUri = new MigrationOptions(true, true, false, null, 0, "tcp://203.0.113.9", 0, false, 0, false, false,
                false, 0, 0, false);
        assertReason("does not point at target host host-b", request("test", hostB(), MigrationMode.LIVE, foreignUri));
    }

    @Test
    void offlineMigrationOfAShutOffGuestIsTriedAndLibvirtsRefusalReported() throws Exception {
        String name = uniqueName("offline");
        Domain d = other.domainDefineXML(guestXml(name));
        try {
            MigrationException e = assertThrows(MigrationException.class, () -> driver.migrate(
                    request(name, hostB(), MigrationMode.OFFLINE, MigrationOptions.move()), (p, s) -> { }));
            assertTrue(e.reason().contains("not supported"), e.reason());
            assertTrue(e.reason().contains("the guest's definition stays on host-a"), e.reason());
        } finally {
            d.undefine();
            d.free();
        }
    }

    @Test
    void aClosedDriverRefusesCallsWithAReason() {
        driver.close();
        DriverException e = assertThrows(DriverException.class, driver::guests);
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        MigrationException m = assertThrows(MigrationException.class,
                () -> driver.migrate(request("test", hostB(), MigrationMode.LIVE, MigrationOptions.move()), (p, s) -> { }));
        assertTrue(m.reason().contains("is closed"), m.reason());
    }

    @Test
    void anUnreachableLibvirtIsReportedWithWhatToCheck() {
        DriverException e = assertThrows(DriverException.class, () -> new LibvirtDriver(
                LibvirtDriverConfig.of("host-a", "qemu+unix:///system?socket=/nonexistent/libvirt-sock")));
        assertTrue(e.getMessage().startsWith("cannot connect to libvirt at qemu+unix:///system?socket=/nonexistent/libvirt-sock"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Check that libvirtd runs"), e.getMessage());
    }

    // ---- helpers -------------------------------------------------------------------------------

    private void assertReason(String part, MigrationRequest r) {
        MigrationException e = assertThrows(MigrationException.class, () -> driver.migrate(r, (p, s) -> { }));
        assertTrue(e.reason().contains(part), e.reason());
        assertEquals(MigrationStats.NONE, e.stats());
    }

    private GuestDescriptor guest(String name) throws DriverException {
        return driver.guests().stream().filter(g -> g.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no guest " + name));
    }

    private GuestState guestState(String name) {
        try {
            return guest(name).state();
        } catch (DriverException | AssertionError e) {
            return GuestState.SHUTOFF;
        }
    }

    private static void awaitEvent(List<DomainEvent> events, String guest, DomainEventKind kind, String detail) {
        await().atMost(Duration.ofSeconds(10)).until(() -> events.contains(new DomainEvent("host-a", guest, kind, detail)));
    }

}
