package org.virtbalancer.deploy.fault;

import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the topics say after a broker fault during a drain ({@link ReplicatedFleet}): read whole once
 * everything stopped, plus when the test's live consumer first saw each record.
 *
 * @param nextCommandMs      per broker stopped, ms from its going to the next command to the drained host
 *                           the test read; -1 when none came after it (the drain was over)
 * @param samplesLost        load samples missing from the hosts' sequences: per host, one sample per interval is
 *                           due from its first to its last, and those not in the log are missing (a sample stamped
 *                           late, by a busy timer, still counts)
 * @param sampleGaps         each gap of more than 1.5 intervals between two samples of a host, for the report
 * @param samplesDelayed     samples the live consumer read more than one interval after they were stamped
 * @param writtenTwice       envelope ids in the log more than once
 * @param executedTwice      command ids an agent accepted, or finished, more than once
 * @param withoutFinalResult command ids with no final result
 * @param misplacedGuests    guests not on exactly one host in the last inventories (or missing, or unknown)
 * @param drainedGuestsLeft  guests still on the drained host
 * @param commands           Migrate and Abort commands issued in the run
 * @param cadenceMs          the median time between two consecutive commands to the drained host: what
 *                           "next command" would be without a fault
 */
record FaultVerdict(String fault, List<Long> nextCommandMs, long samplesLost, List<String> sampleGaps, long samplesDelayed,
                    List<String> writtenTwice,
                    List<String> executedTwice, List<String> withoutFinalResult, Map<String, List<String>> misplacedGuests,
                    Set<String> drainedGuestsLeft, int commands, long cadenceMs) {

    static FaultVerdict of(ReplicatedFleet fleet, ReplicatedFleet.Injected injected, List<TopicTap.Seen> all,
                           List<TopicTap.Seen> live) {
        Topics topics = fleet.topics;
        List<Long> next = new ArrayList<>();
        for (ReplicatedFleet.Injected.Step step : injected.steps()) {
            next.add(fleet.nextDrainCommandSeenAfter(step.goneAt()).map(seen -> seen - step.goneAt()).orElse(-1L));
        }

        long lost = 0;
        List<String> gaps = new ArrayList<>();
        long interval = ReplicatedFleet.INTERVAL.toMillis();
        long faultAt = injected.startedAt();
        for (String host : fleet.hosts) {
            List<Long> ts = all.stream().filter(s -> s.topic().equals(topics.hostLoad()) && s.envelope() != null
                            && s.envelope().body() instanceof HostLoad l && l.host().equals(host))
                    .map(s -> s.envelope().ts()).distinct().sorted().toList();
            if (ts.isEmpty()) {
                gaps.add(host + ": no sample at all");
                continue;
            }
            long due = Math.round((ts.get(ts.size() - 1) - ts.get(0)) / (double) interval) + 1;
            lost += Math.max(0, due - ts.size());
            for (int i = 1; i < ts.size(); i++) {
                long gap = ts.get(i) - ts.get(i - 1);
                if (gap > interval * 3 / 2) {
                    gaps.add(String.format(java.util.Locale.ROOT, "%s: %d ms between samples stamped %+.1f s and %+.1f s"
                            + " from the fault", host, gap, (ts.get(i - 1) - faultAt) / 1000.0, (ts.get(i) - faultAt) / 1000.0));
                }
            }
        }
        Map<String, Long> firstSeen = new TreeMap<>();
        live.stream().filter(s -> s.envelope() != null).forEach(s -> firstSeen.merge(s.envelope().id(), s.seenAt(), Math::min));
        long delayed = all.stream().filter(s -> s.topic().equals(topics.hostLoad()) && s.envelope() != null)
                .filter(s -> firstSeen.getOrDefault(s.envelope().id(), Long.MAX_VALUE) - s.envelope().ts() > interval).count();

        List<String> twice = all.stream().filter(s -> s.envelope() != null)
                .collect(Collectors.groupingBy(s -> s.envelope().id(), Collectors.counting()))
                .entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted().toList();

        List<Envelope> commands = all.stream().filter(s -> s.topic().startsWith(topics.prefix() + "commands.")
                && s.envelope() != null && (s.envelope().body() instanceof Migrate || s.envelope().body() instanceof Abort))
                .map(TopicTap.Seen::envelope).toList();
        List<CommandResult> results = all.stream().filter(s -> s.topic().equals(topics.commandResults()) && s.envelope() != null
                && s.envelope().body() instanceof CommandResult).map(s -> (CommandResult) s.envelope().body()).toList();
        Map<String, Long> accepted = results.stream().filter(r -> r.status() == ResultStatus.ACCEPTED)
                .collect(Collectors.groupingBy(CommandResult::commandId, Collectors.counting()));
        Map<String, Long> finals = results.stream().filter(r -> r.status().isFinal())
                .collect(Collectors.groupingBy(CommandResult::commandId, Collectors.counting()));
        List<String> executedTwice = commands.stream().map(Envelope::id).distinct()
                .filter(id -> accepted.getOrDefault(id, 0L) > 1 || finals.getOrDefault(id, 0L) > 1).toList();
        List<String> withoutFinal = commands.stream().map(Envelope::id).distinct()
                .filter(id -> finals.getOrDefault(id, 0L) == 0).toList();

        Map<String, Inventory> latest = new TreeMap<>();
        all.stream().filter(s -> s.topic().equals(topics.inventory()) && s.envelope() != null
                && s.envelope().body() instanceof Inventory).forEach(s -> {
                    Inventory inv = (Inventory) s.envelope().body();
                    latest.put(inv.facts().host(), inv);
                });
        Map<String, List<String>> where = new TreeMap<>();
        fleet.allGuests().forEach(g -> where.put(g, new ArrayList<>()));
        latest.forEach((h, inv) -> inv.guests().forEach(g -> where.computeIfAbsent(g.name(), x -> new ArrayList<>()).add(h)));
        Map<String, List<String>> misplaced = new TreeMap<>();
        where.forEach((g, hosts) -> {
            if (hosts.size() != 1 || !fleet.allGuests().contains(g)) {
                misplaced.put(g, hosts);
            }
        });
        Set<String> left = Optional.ofNullable(latest.get(ReplicatedFleet.DRAINED))
                .map(inv -> inv.guests().stream().map(GuestDescriptor::name).collect(Collectors.toSet())).orElse(Set.of());
        List<Long> drainTs = commands.stream().filter(c -> c.body() instanceof Migrate m
                && m.source().equals(ReplicatedFleet.DRAINED)).map(Envelope::ts).sorted().toList();
        List<Long> between = new ArrayList<>();
        for (int i = 1; i < drainTs.size(); i++) {
            between.add(drainTs.get(i) - drainTs.get(i - 1));
        }
        between.sort(null);
        long cadence = between.isEmpty() ? -1 : between.get(between.size() / 2);
        return new FaultVerdict(injected.fault().label, List.copyOf(next), lost, List.copyOf(gaps), delayed, twice, executedTwice, withoutFinal,
                misplaced, left, commands.size(), cadence);
    }

    /** The longest wait for the next command after a broker went, or -1 if none followed any. */
    long maxNextCommandMs() {
        return nextCommandMs.stream().mapToLong(Long::longValue).max().orElse(-1);
    }

    /** A row of the benchmark's table. */
    String row() {
        return String.format(java.util.Locale.ROOT, "| %-38s | %22s | %13d | %7d | %4d | %9d | %8d | %8d |", fault,
                nextCommandMs.stream().map(ms -> ms < 0 ? "-" : String.valueOf(ms)).collect(Collectors.joining(" / ")),
                cadenceMs, samplesDelayed, samplesLost, executedTwice.size(), writtenTwice.size(), commands);
    }

    static String header() {
        return "| fault                                  | next command (ms)      | usual gap (ms)| delayed | lost | dup. exec | dup. ids | commands |\n"
                + "|----------------------------------------|------------------------|---------------|---------|------|-----------|----------|----------|";
    }

    @Override
    public String toString() {
        return fault + ": next command " + nextCommandMs + " ms after each broker went; samples lost " + samplesLost
                + " " + sampleGaps + ", delayed " + samplesDelayed + "; written twice " + writtenTwice + "; executed twice " + executedTwice
                + "; without final result " + withoutFinalResult + "; misplaced guests " + misplacedGuests
                + "; left on the drained host " + drainedGuestsLeft + "; " + commands + " commands; usual gap between two"
                + " commands to the drained host " + cadenceMs + " ms";
    }
}
