package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.PreCopyModel;
import org.virtbalancer.protocol.ResultStatus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_A;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_B;

/**
 * Benchmark, not part of the suite (surefire excludes *Benchmark): live-migrates the test bed's
 * 64 MiB counter guest back and forth through the real agent and compares the measured time and
 * downtime with the simulated driver's pre-copy prediction for the same guest. Run:
 * {@code mvn -B -pl deploy verify -Dtest=LiveMigrationBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * (as root); the table goes to stdout and deploy/target/live-migration-benchmark.txt.
 */
@ExtendWith({Broker.class, LibvirtTestbed.Resolver.class})
class LiveMigrationBenchmark {
    private static final int ROUNDS = 6;
    private RealHostsFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    @Test
    void measureLiveMigrationAgainstThePrediction(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        fx = new RealHostsFixture(broker, bed, false);
        fx.awaitAgentsKnowEachOther();
        bed.define(HOST_A, bed.guestXml("bench1", "counter", ""), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> bed.lastCount("bench1", "counter") >= 2);

        List<String> rows = new ArrayList<>();
        double sumWall = 0, sumElapsed = 0, sumDown = 0;
        String from = HOST_A, to = HOST_B;
        for (int i = 1; i <= ROUNDS; i++) {
            long t0 = System.nanoTime();
            String id = fx.migrate("bench1", from, to, MigrationMode.LIVE, MigrationOptions.move());
            CommandResult r = fx.finalResult(id, Duration.ofSeconds(120));
            double wallMs = (System.nanoTime() - t0) / 1e6;
            assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
            rows.add(String.format(Locale.ROOT, "| %d | %s → %s | %.0f | %d | %d | %d |", i, from, to, wallMs,
                    r.stats().elapsedMs(), r.stats().downtimeMs(), r.stats().transferredMiB()));
            sumWall += wallMs;
            sumElapsed += r.stats().elapsedMs();
            sumDown += r.stats().downtimeMs();
            String t = from; from = to; to = t;
        }
        assertEquals(1, bed.starts("bench1", "counter"));
        // The simulated driver's view of the same guest: 64 MiB, an idle guest's dirty rate, the agent's link setting.
        var prediction = PreCopyModel.live(64, 1, 1250, PreCopyModel.DEFAULT_MAX_DOWNTIME_MS, false, false);
        double meanElapsed = sumElapsed / ROUNDS;
        StringBuilder out = new StringBuilder();
        out.append("| run | direction | wall ms (command sent → SUCCEEDED read) | libvirt elapsed ms | downtime ms | MiB copied |\n");
        out.append("|---|---|---|---|---|---|\n");
        rows.forEach(r -> out.append(r).append('\n'));
        out.append(String.format(Locale.ROOT, "%nmean wall %.0f ms, mean libvirt elapsed %.0f ms, mean downtime %.0f ms%n",
                sumWall / ROUNDS, meanElapsed, sumDown / ROUNDS));
        out.append(String.format(Locale.ROOT, "prediction (PreCopyModel, 64 MiB, 1 MiB/s dirty, 1250 MiB/s): duration %.0f ms,"
                        + " downtime %.0f ms; measured/predicted duration = %.1f%n",
                prediction.durationMs(), prediction.downtimeMs(), meanElapsed / prediction.durationMs()));
        System.out.println(out);
        Files.writeString(Path.of("target", "live-migration-benchmark.txt"), out.toString());
    }
}
