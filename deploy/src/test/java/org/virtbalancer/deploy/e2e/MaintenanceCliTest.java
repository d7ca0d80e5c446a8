package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.deploy.cli.Vbal;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.GuestState;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(Broker.class)
class MaintenanceCliTest {
    private ClusterFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    /** Output and exit code of one {@code vbal} invocation, run in this JVM. */
    record Run(int exit, String out, String err) {}

    private Run vbal(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Vbal.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        if (fx != null && !all.contains("--bootstrap")) {
            all.addAll(List.of("--bootstrap", fx.kafka.bootstrapServers(), "--prefix", fx.topics.prefix()));
        }
        int exit = cl.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void enterWaitsForTheDrainWithProgressThenStatusAndExitReportTheState(EmbeddedKafka broker) throws Exception {
        SimulatedFabric fabric = SimulatedFabric.builder()
                .host(HostSpec.of("host-1")).host(HostSpec.of("host-2")).host(HostSpec.of("host-3"))
                .guest("host-2", GuestSpec.of("app-1")).guest("host-2", GuestSpec.of("app-2"))
                .guest("host-2", GuestSpec.of("old-1").withState(GuestState.SHUTOFF))
                .guest("host-1", GuestSpec.of("app-3"))
                .build();
        fx = new ClusterFixture(broker, fabric, ClusterFixture.testSettings());
        await().atMost(Duration.ofSeconds(30)).until(() -> fx.cluster.balancer().snapshot().hosts().size() == 3);

        Run enter = vbal("maintenance", "enter", "host-2", "--wait", "--timeout", "90s", "--reason", "kernel update");
        assertEquals(0, enter.exit(), () -> enter.out() + enter.err());
        assertTrue(enter.out().contains("sent EnterMaintenance for host-2"), enter.out());
        assertTrue(enter.out().contains("ENTERING"), "progress is printed while it drains: " + enter.out());
        assertTrue(enter.out().contains("IN_MAINTENANCE") && enter.out().contains("3/3 moved"), enter.out());
        assertEquals(List.of(), fabric.guests("host-2"));

        Run status = vbal("maintenance", "status", "host-2");
        assertEquals(0, status.exit(), status.err());
        assertTrue(status.out().contains("IN_MAINTENANCE"), status.out());

        Run exit = vbal("maintenance", "exit", "host-2", "--wait", "--timeout", "60s");
        assertEquals(0, exit.exit(), () -> exit.out() + exit.err());
        assertTrue(exit.out().contains("ACTIVE"), exit.out());
        assertTrue(vbal("maintenance", "status", "host-2").out().contains("ACTIVE"));
    }

    @Test
    void badHostNamesAndUnreachableKafkaGiveClearErrorsAndExitCodes(EmbeddedKafka broker) throws Exception {
        Run bad = vbal("maintenance", "enter", "host 2;reboot", "--bootstrap", broker.bootstrapServers());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("is not a valid name"), bad.err());

        Run missing = vbal("maintenance", "enter");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("HOST"), missing.err());

        Path config = Files.createTempFile("vb-kafka", ".properties");
        Files.writeString(config, "max.block.ms=1500\nrequest.timeout.ms=1500\ndelivery.timeout.ms=3000\n");
        Run down = vbal("maintenance", "enter", "host-2", "--bootstrap", "127.0.0.1:1", "--kafka-config", config.toString());
        assertEquals(5, down.exit(), () -> down.out() + down.err());
        assertTrue(down.err().contains("cannot reach Kafka at 127.0.0.1:1"), down.err());
    }
}
