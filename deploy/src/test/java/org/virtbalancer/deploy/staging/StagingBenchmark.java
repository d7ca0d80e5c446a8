package org.virtbalancer.deploy.staging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.awaitility.Awaitility.await;

/**
 * The leader's handover on SIGTERM against a crash (SIGKILL), side by side, on the staging deployment
 * ({@link StagingCluster}): each round drains another simulated host, signals the leading balancer once
 * the drain issues commands, and records when the new leader's first command came ({@link Handover}).
 * Run by command, not in CI:
 * <pre>
 * mvn -o -B -q -pl deploy -am verify -Dtest=StagingBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dvb.test.forks=1 -Dstaging.rounds=5
 * </pre>
 * Prints a table and writes it to target/staging-handover.txt.
 */
@ExtendWith(LibvirtTestbed.Resolver.class)
class StagingBenchmark {
    private static final int ROUNDS = Integer.getInteger("staging.rounds", 5);

    @Test
    void sigtermHandoverAgainstSigkill(@TempDir Path dir, LibvirtTestbed bed) throws Exception {
        bed.clean();
        List<Handover> term = new ArrayList<>();
        List<Handover> kill = new ArrayList<>();
        try (StagingCluster c = StagingCluster.install(dir, bed)) {
            c.start();
            int host = 1;
            for (int round = 0; round < ROUNDS; round++) {
                for (boolean sigkill : new boolean[]{false, true}) {
                    String drained = "sim-" + host++;
                    Set<String> guests = c.record.guestsOn(drained);
                    long since = System.currentTimeMillis();
                    c.vbal(c.host("kvm-1"), "maintenance", "enter", drained);
                    await().atMost(Duration.ofMinutes(1)).until(() -> c.record.migrates(guests, since).size() >= 2);
                    Handover h = Handover.of(c, sigkill);
                    System.out.println("[benchmark] round " + round + ": " + h);
                    (sigkill ? kill : term).add(h);
                    await().atMost(Duration.ofMinutes(4)).until(() -> c.record.guestsOn(drained).isEmpty());
                    c.vbal(c.host("kvm-1"), "maintenance", "exit", drained);
                }
            }
        } finally {
            bed.clean();
        }
        StringBuilder table = new StringBuilder(String.format("%-6s %-28s %-28s%n", "round",
                "SIGTERM gap / first (ms)", "SIGKILL gap / first (ms)"));
        for (int i = 0; i < ROUNDS; i++) {
            table.append(String.format("%-6d %-28s %-28s%n", i, cell(term.get(i)), cell(kill.get(i))));
        }
        table.append(String.format("%-6s %-28s %-28s%n", "median", median(term), median(kill)));
        System.out.print(table);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "staging-handover.txt"), table.toString());
    }

    private static String cell(Handover h) {
        return (h.gapMs() < 0 ? "n/a" : String.valueOf(h.gapMs())) + " / " + h.firstMs();
    }

    private static String median(List<Handover> hs) {
        List<Long> gaps = hs.stream().map(Handover::gapMs).filter(g -> g >= 0).sorted().toList();
        List<Long> firsts = hs.stream().map(Handover::firstMs).sorted().toList();
        return (gaps.isEmpty() ? "n/a" : gaps.get(gaps.size() / 2)) + " / " + firsts.get(firsts.size() / 2);
    }
}
