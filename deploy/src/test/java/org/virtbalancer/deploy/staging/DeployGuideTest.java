package org.virtbalancer.deploy.staging;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/deploy.md parses as the staging test reads it (every command block marked with the step that runs
 * it), without the test bed: the quick check of the guide; StagingTest runs its commands.
 */
class DeployGuideTest {
    @Test
    void everyCommandBlockOfTheGuideIsAStepTheStagingTestRuns() {
        DeployGuide guide = DeployGuide.ofCheckout();
        List<String> steps = guide.shellBlocks().stream().map(DeployGuide.Block::step).toList();
        assertTrue(steps.containsAll(List.of("package", "install", "kafka", "start-balancer", "start-agent", "check",
                "manual", "full", "drain", "restart-balancer", "restart-agent")), steps.toString());
        assertTrue(guide.block("agent.conf").properties().containsKey("host"));
        assertTrue(guide.block("balancer.conf").properties().containsKey("members"));
        assertEquals(List.of("deploy/bin/package /tmp/virt-balancer"), guide.block("package").commands());
    }

    @Test
    void aCommandBlockWithoutAStepIsRefused() throws Exception {
        Path doc = Files.createTempFile("vb-guide", ".md");
        Files.writeString(doc, "# x\n\n<!-- staging: ok -->\n```sh\nvbal status\n```\n\n```sh\nrm -rf /\n```\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeployGuide.read(doc));
        assertTrue(e.getMessage().contains("line 8: a sh block without a <!-- staging: STEP --> marker"), e.getMessage());
        Files.delete(doc);
    }

    @Test
    void placeholdersAreReplacedLongestFirst() {
        Placeholders p = new Placeholders().put("10.0.0.11", "127.0.0.1").put("10.0.0.11:5701", "127.0.0.1:4000")
                .put("kvm-1", "lv-a").put("qemu+tls://kvm-1.example/system", "qemu:///x");
        assertEquals("members = 127.0.0.1:4000, host 127.0.0.1, lv-a qemu:///x",
                p.apply("members = 10.0.0.11:5701, host 10.0.0.11, kvm-1 qemu+tls://kvm-1.example/system"));
    }
}
