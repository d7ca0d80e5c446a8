package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.LeaderEpoch;
import org.virtbalancer.protocol.ResultStatus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leader hung with SIGSTOP and resumed, cut off from the other balancers, or the whole cluster
 * restarted from nothing: a new leader must take over within 10 s, the drain must finish, no command
 * may run twice, no guest move twice or get lost, and nothing a deposed leader sends may reach an agent.
 */
class LeaderFailoverTest extends BalancerClusterFaults {
    @Test
    void aHungLeaderThatResumesCannotGetACommandToAnyAgent() throws Exception {
        LeaderEpoch before = leader().orElseThrow();
        Child hung = balancers.get(before.balancer());
        long hungAt = System.currentTimeMillis();
        hung.hang();
        await().atMost(FAILOVER_LIMIT).until(() -> leader().map(l -> l.epoch() > before.epoch()).orElse(false));
        long takeover = System.currentTimeMillis() - hungAt;
        LeaderEpoch after = leader().orElseThrow();
        // While it hangs there is work: the drain the old leader will plan too as soon as it runs again.
        String host = busiest();
        Set<String> guests = guestsOn(host);
        long began = System.currentTimeMillis();
        control(host, new EnterMaintenance(host, "hung leader test"));
        await().atMost(Duration.ofSeconds(30)).until(() -> succeededFrom(host, began).size() >= 2);
        hung.resume();
        await().atMost(Duration.ofSeconds(90)).until(() -> guestsOn(host).isEmpty());
        // The resumed process stepped down or never led again: it says so in its log, or its commands are nowhere.
        List<Envelope> commands = committedCommands();
        List<Envelope> oldLeaders = commands.stream().filter(e -> e.epoch() <= before.epoch() && e.ts() >= hungAt).toList();
        assertEquals(List.of(), oldLeaders, "commands of the deposed leader reached the agents' topics");
        // Every command an agent accepted is a committed one, and the old leader's were all sent before it hung.
        Map<String, Envelope> byId = commands.stream().collect(Collectors.toMap(Envelope::id, e -> e, (a, b) -> a));
        for (CommandResult r : results()) {
            if (r.status() == ResultStatus.ACCEPTED && resultSeenAfter(r, hungAt)) {
                Envelope command = byId.get(r.commandId());
                assertTrue(command != null, "an agent accepted " + r.commandId() + ", which no leader committed");
                assertTrue(command.epoch() >= after.epoch() || command.ts() < hungAt, "an agent accepted "
                        + r.commandId() + ", sent by the hung leader after it hung");
            }
        }
        Map<String, Long> moved = succeededFrom(host, began);
        assertEquals(guests, moved.keySet());
        moved.forEach((g, n) -> assertEquals(1, n, () -> g + " moved " + n + " times" + history(g, began)));
        noCommandRanTwice();
        everyGuestOnExactlyOneHost();
        assertTrue(takeover <= FAILOVER_LIMIT.toMillis());
        control(host, new ExitMaintenance(host));
        String figures = "leader SIGSTOPped: new leader (epoch " + after.epoch() + ") " + takeover + " ms after the stop";
        System.out.println(figures);
        Files.writeString(Path.of("target", "leader-hang.txt"), figures + "\n");
    }

    @Test
    void aLeaderCutOffFromTheOtherBalancersIsReplacedAndItsCommandsNeverRun() throws Exception {
        LeaderEpoch before = leader().orElseThrow();
        String cut = before.balancer();
        long cutAt = System.currentTimeMillis();
        long takeover;
        LeaderEpoch after;
        long afterTs;
        String host = busiest();
        Set<String> guests = guestsOn(host);
        long began;
        // Its Hazelcast traffic only: it still reaches Kafka, and would send if it could.
        try (Firewall firewall = Firewall.cut(ports.get(cut), outbound.get(cut))) {
            await().atMost(FAILOVER_LIMIT.plusSeconds(5)).until(() -> leader().map(l -> l.epoch() > before.epoch()).orElse(false));
            takeover = System.currentTimeMillis() - cutAt;
            after = leader().orElseThrow();
            afterTs = leaderEnvelope(after).ts();
            began = System.currentTimeMillis();
            control(host, new EnterMaintenance(host, "partition test"));
            await().atMost(Duration.ofSeconds(30)).until(() -> succeededFrom(host, began).size() >= 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(logs.get(cut)).contains("steps down"));
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> guestsOn(host).isEmpty());
        List<Envelope> late = committedCommands().stream()
                .filter(e -> e.epoch() <= before.epoch() && e.ts() > afterTs).toList();
        assertEquals(List.of(), late, "the cut-off leader's commands reached the agents' topics after the new leader took over");
        Map<String, Envelope> byId = committedCommands().stream().collect(Collectors.toMap(Envelope::id, e -> e, (x, y) -> x));
        for (CommandResult r : results()) {
            if (r.status() == ResultStatus.ACCEPTED && resultSeenAfter(r, afterTs)) {
                Envelope command = byId.get(r.commandId());
                assertTrue(command != null, "an agent accepted " + r.commandId() + ", which no leader committed");
                assertTrue(command.epoch() >= after.epoch() || command.ts() <= afterTs, "an agent accepted "
                        + r.commandId() + ", sent by the cut-off leader after the majority's leader took over");
            }
        }
        Map<String, Long> moved = succeededFrom(host, began);
        assertEquals(guests, moved.keySet());
        moved.forEach((g, n) -> assertEquals(1, n, () -> g + " moved " + n + " times" + history(g, began)));
        noCommandRanTwice();
        everyGuestOnExactlyOneHost();
        assertTrue(takeover <= FAILOVER_LIMIT.toMillis(), "the majority took over " + takeover + " ms after the cut");
        control(host, new ExitMaintenance(host));
        String figures = "leader cut off from the other balancers: the majority's leader (epoch " + after.epoch() + ") "
                + takeover + " ms after the cut";
        System.out.println(figures);
        Files.writeString(Path.of("target", "leader-partition.txt"), figures + "\n");
    }

    @Test
    void aWholeClusterRestartedFromNothingFollowsTheDrainToItsEnd() throws Exception {
        LeaderEpoch before = leader().orElseThrow();
        String host = busiest();
        Set<String> guests = guestsOn(host);
        long began = System.currentTimeMillis();
        control(host, new EnterMaintenance(host, "restart test"));
        await().atMost(Duration.ofSeconds(60)).until(() -> succeededFrom(host, began).size() >= 4);
        for (Child c : balancers.values()) {
            c.kill();
        }
        int movedWhileNoneRan = succeededFrom(host, began).size();
        for (String id : List.copyOf(balancers.keySet())) {
            startBalancer(id);
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> leader().map(l -> l.epoch() > before.epoch()).orElse(false));
        await().atMost(Duration.ofSeconds(90)).until(() -> guestsOn(host).isEmpty());
        Map<String, Long> moved = succeededFrom(host, began);
        assertEquals(guests, moved.keySet(), "the restarted cluster finished the drain");
        assertTrue(moved.size() > movedWhileNoneRan, "the drain went on after the restart");
        moved.forEach((g, n) -> assertEquals(1, n, () -> g + " moved " + n + " times" + history(g, began)));
        commandsPerGuest(host, began).forEach((g, n) -> assertEquals(1, n, () -> n + " commands to move " + g
                + ": a migration in flight was issued again" + history(g, began)));
        noCommandRanTwice();
        everyGuestOnExactlyOneHost();
        control(host, new ExitMaintenance(host));
    }

    /** Drops loopback packets to and from a Hazelcast member's port and its outbound range, until closed. */
    private record Firewall(List<List<String>> rules) implements AutoCloseable {
        static Firewall cut(int port, String outboundRange) throws Exception {
            String range = outboundRange.replace('-', ':');
            List<List<String>> rules = new ArrayList<>();
            for (String ports : List.of(String.valueOf(port), range)) {
                for (String direction : List.of("--dport", "--sport")) {
                    rules.add(List.of("INPUT", "-i", "lo", "-p", "tcp", direction, ports, "-j", "DROP"));
                }
            }
            Firewall f = new Firewall(rules);
            for (List<String> rule : rules) {
                f.iptables("-I", rule);
            }
            return f;
        }

        private void iptables(String action, List<String> rule) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("iptables", action));
            cmd.addAll(rule);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed (the partition test needs root and"
                        + " iptables, which deploy/bin/install-prerequisites installs): " + out);
            }
        }

        @Override
        public void close() throws Exception {
            for (List<String> rule : rules) {
                iptables("-D", rule);
            }
        }
    }
}
