package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.DomainEventKind;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real libvirtd of the test's own (in a private mount namespace, so its sockets and state live
 * in a temporary directory) is stopped and started again under a connected driver. Needs root,
 * libvirtd and unshare; skipped otherwise.
 */
class LibvirtDriverReconnectTest {
    @TempDir
    Path dir;
    private Process daemon;
    private LibvirtDriver driver;

    @BeforeEach
    void requireRootAndLibvirtd() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "starting a libvirtd needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/libvirtd")), "libvirtd is not installed");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "unshare is not installed");
        // The test's own probes open connections too: the event loop must exist before the first one.
        EventLoop.ensureRunning();
    }

    @AfterEach
    void stop() throws Exception {
        if (driver != null) {
            driver.close();
        }
        stopDaemon();
    }

    @Test
    void callsFailWithAReasonWhileLibvirtdIsDownAndEventsFlowAgainAfterItIsBack() throws Exception {
        startDaemon();
        String uri = "qemu+unix:///system?socket=" + dir.resolve("run/libvirt-sock");
        driver = new LibvirtDriver(LibvirtDriverConfig.of("host-r", uri));
        List<DomainEvent> events = new CopyOnWriteArrayList<>();
        driver.listen(events::add);
        java.util.concurrent.atomic.AtomicInteger resyncs = new java.util.concurrent.atomic.AtomicInteger();
        driver.onReconnected(resyncs::incrementAndGet);
        assertEquals(List.of(), driver.guests());

        stopDaemon();
        DriverException down = await().atMost(Duration.ofSeconds(10)).until(this::guestsFailure, e -> e != null);
        assertTrue(down.getMessage().contains(uri), down.getMessage());
        assertTrue(down.getMessage().contains("check that libvirtd runs on host host-r"), down.getMessage());
        assertThrows(DriverException.class, driver::hostFacts);
        assertThrows(DriverException.class, () -> driver.sampleLoad(Duration.ofSeconds(1)));

        startDaemon();
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

    private void startDaemon() throws IOException {
        for (String sub : List.of("etc", "run", "lib", "log", "cache")) {
            Files.createDirectories(dir.resolve(sub));
        }
        Files.writeString(dir.resolve("etc/libvirtd.conf"), """
                listen_tls = 0
                listen_tcp = 0
                auth_unix_rw = "none"
                auth_unix_ro = "none"
                host_uuid = "7e0d3c2a-1b4f-4c6e-8a9d-5f1e2d3c4b5a"
                """);
        Files.writeString(dir.resolve("etc/qemu.conf"), """
                user = "root"
                group = "root"
                security_driver = "none"
                cgroup_controllers = [ ]
                namespaces = [ ]
                stdio_handler = "file"
                """);
        Files.writeString(dir.resolve("etc/libvirt.conf"), "");
        String d = dir.toString();
        // unshare and sh exec, so the process is libvirtd itself and stopping it stops the daemon.
        String script = "mount --bind " + d + "/etc /etc/libvirt && mount --bind " + d + "/run /run/libvirt"
                + " && mount --bind " + d + "/lib /var/lib/libvirt && mount --bind " + d + "/log /var/log/libvirt"
                + " && mount --bind " + d + "/cache /var/cache/libvirt && exec /usr/sbin/libvirtd";
        daemon = new ProcessBuilder("/usr/bin/unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script)
                .redirectErrorStream(true).redirectOutput(dir.resolve("libvirtd.out").toFile()).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("libvirtd exited: " + Files.readString(dir.resolve("libvirtd.out")));
            }
            try {
                new Connect("qemu+unix:///system?socket=" + d + "/run/libvirt-sock").close();
                return true;
            } catch (org.libvirt.LibvirtException e) {
                return false;
            }
        });
    }

    private void stopDaemon() throws InterruptedException {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();
            if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        daemon = null;
    }
}
