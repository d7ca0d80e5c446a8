package org.virtbalancer.deploy.staging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The leader's handover on SIGTERM against a crash (SIGKILL), side by side, on the staging deployment
 * ({@link StagingCluster}): each round drains another simulated host, signals the leading balancer once
 * the drain issues commands, and records when the new leader's first command came ({@link Handover}).
 * Run by command, not in CI (as root; VB_TESTBED_NS keeps its test bed apart from another checkout's tests):
 * <pre>
 * VB_TESTBED_NS=vbstg mvn -o -B -q -pl deploy -am verify -Dtest=StagingBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dvb.test.forks=1 -Dstaging.rounds=5
 * </pre>
 * Prints a table and writes it to target/staging-handover.txt.
 */
@ExtendWith(LibvirtTestbed.Resolver.class)
class StagingBenchmark {
    private static final int ROUNDS = Integer.getInteger("staging.rounds", 5);

    @Test
    void sigtermHandoverAgainstSigkill(LibvirtTestbed bed) throws Exception {
        Path dir = StagingCluster.workDir();
        bed.clean();
        List<Handover> term = new ArrayList<>();
        List<Handover> kill = new ArrayList<>();
        try (StagingCluster c = StagingCluster.install(dir, bed)) {
            c.start();
            int host = 1;
            for (int round = 0; round < ROUNDS; round++) {
                for (boolean sigkill : new boolean[]{false, true}) {
                    Drain drain = Drain.start(c, host);
                    host = Integer.parseInt(drain.host.substring("sim-".length())) + 1;
                    Handover h = Handover.of(c, sigkill, drain);
                    System.out.println("[benchmark] round " + round + ": " + h);
                    (sigkill ? kill : term).add(h);
                    drain.awaitCompletedOnce();
                    drain.exit();
                }
            }
            c.close();
            StagingCluster.delete(dir);
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
        if (!h.measured()) {
            return "nothing left to command";
        }
        return (h.gapMs() < 0 ? "n/a" : String.valueOf(h.gapMs())) + " / " + h.firstMs();
    }

    private static String median(List<Handover> hs) {
        if (hs.stream().noneMatch(Handover::measured)) {
            return "n/a";
        }
        hs = hs.stream().filter(Handover::measured).toList();
        List<Long> gaps = hs.stream().map(Handover::gapMs).filter(g -> g >= 0).sorted().toList();
        List<Long> firsts = hs.stream().map(Handover::firstMs).sorted().toList();
        return (gaps.isEmpty() ? "n/a" : gaps.get(gaps.size() / 2)) + " / " + firsts.get(firsts.size() / 2);
    }
}
