package org.virtbalancer.deploy.packaging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/bin/package assembles an installation that runs outside the checkout: its launcher,
 * also through a symbolic link as in /usr/local/bin, and create-topics against a real broker.
 */
@ExtendWith(Broker.class)
class PackageTest {
    @Test
    void packageAssemblesAnInstallationThatRunsOnItsOwn(@TempDir Path dir, EmbeddedKafka kafka) throws IOException {
        Path opt = dir.resolve("virt-balancer");
        Checkout.Result packaged = Checkout.run(List.of(Checkout.deploy("bin/package").toString(), opt.toString()), 300);
        assertEquals(0, packaged.exit(), packaged.output());

        try (Stream<Path> jars = Files.list(opt.resolve("lib"))) {
            List<String> names = jars.map(p -> p.getFileName().toString()).toList();
            for (String module : List.of("protocol", "agent", "balancer", "deploy")) {
                assertTrue(names.contains("virt-balancer-" + module + ".jar"), module + " in " + names);
            }
            assertTrue(names.stream().anyMatch(n -> n.startsWith("kafka-clients-")), names.toString());
        }
        for (String shipped : List.of("config/agent.conf", "config/balancer.conf", "config/agent.env", "config/balancer.env",
                "config/README.md", "systemd/virt-balancer-agent.service", "systemd/virt-balancer-balancer.service")) {
            assertTrue(Files.isRegularFile(opt.resolve(shipped)), shipped);
        }

        Path link = Files.createSymbolicLink(dir.resolve("vbal"), opt.resolve("bin/vbal"));
        Checkout.Result version = Checkout.run(List.of(link.toString(), "--version"), 120);
        assertEquals(0, version.exit(), version.output());
        assertEquals("virt-balancer 0.1.0", version.output().strip());

        String prefix = "pkg" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Checkout.Result topics = Checkout.run(List.of(opt.resolve("bin/create-topics").toString(),
                "--bootstrap", kafka.bootstrapServers(), "--prefix", prefix, "--hosts", "kvm-01"), 120);
        assertEquals(0, topics.exit(), topics.output());
        assertTrue(topics.output().contains("9 topics under prefix '" + prefix + "' at " + kafka.bootstrapServers()
                + ": 9 created"), topics.output());
    }
}
