package org.virtbalancer.deploy.staging;

import org.virtbalancer.deploy.e2e.TopicTap;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.LeaderEpoch;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the cluster's topics say, read as agents read them (committed only) through a {@link TopicTap}:
 * the leader, the commands and their results by guest, the hosts' latest inventories, and when a
 * leader's commands were seen, for the handover gap.
 */
final class ClusterRecord implements AutoCloseable {
    private final TopicTap tap;
    private final Topics topics;

    ClusterRecord(TopicTap tap, Topics topics) {
        this.tap = tap;
        this.topics = topics;
    }

    Optional<LeaderEpoch> leader() {
        return tap.bodies(topics.leader(), LeaderEpoch.class).stream().max((a, b) -> Long.compare(a.epoch(), b.epoch()));
    }

    /** Commands on any host's command topic, with when the tap saw them. */
    List<TopicTap.Seen> commands() {
        return tap.all().stream().filter(s -> s.topic().startsWith(topics.prefix() + "commands.") && s.envelope() != null)
                .toList();
    }

    /** Migrate commands of {@code guests} (null: every guest) issued since {@code since}. */
    List<Envelope> migrates(Set<String> guests, long since) {
        return migrates(guests, since, null);
    }

    /** Migrate commands of {@code guests} (null: every guest) off {@code source} (null: any host) issued since {@code since}. */
    List<Envelope> migrates(Set<String> guests, long since, String source) {
        return commands().stream().map(TopicTap.Seen::envelope)
                .filter(e -> e.ts() >= since && e.body() instanceof Migrate m && (guests == null || guests.contains(m.guest()))
                        && (source == null || m.source().equals(source)))
                .toList();
    }

    /** Per guest of {@code guests}: how many Migrate commands off {@code source} (null: any) since {@code since}. */
    Map<String, Long> commandsPerGuest(Set<String> guests, long since, String source) {
        return migrates(guests, since, source).stream().collect(Collectors.groupingBy(e -> ((Migrate) e.body()).guest(),
                Collectors.counting()));
    }

    /** Per guest of {@code guests}: how many of its Migrate commands since {@code since} succeeded. */
    Map<String, Long> movesPerGuest(Set<String> guests, long since) {
        return movesPerGuest(guests, since, null);
    }

    /** Per guest of {@code guests}: how many of its Migrate commands off {@code source} (null: any) since {@code since} succeeded. */
    Map<String, Long> movesPerGuest(Set<String> guests, long since, String source) {
        Set<String> ids = migrates(guests, since, source).stream().map(Envelope::id).collect(Collectors.toSet());
        return results().stream().filter(r -> r.status() == ResultStatus.SUCCEEDED && ids.contains(r.commandId()))
                .collect(Collectors.groupingBy(CommandResult::guest, Collectors.counting()));
    }

    /** Commands accepted more than once (by command id): none, if no command ran twice. */
    Map<String, Long> acceptedTwice() {
        return results().stream().filter(r -> r.status() == ResultStatus.ACCEPTED)
                .collect(Collectors.groupingBy(CommandResult::commandId, Collectors.counting()))
                .entrySet().stream().filter(e -> e.getValue() > 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    List<CommandResult> results() {
        return tap.bodies(topics.commandResults(), CommandResult.class);
    }

    /** The latest inventory of each host. */
    Map<String, Inventory> inventories() {
        Map<String, Inventory> latest = new LinkedHashMap<>();
        tap.bodies(topics.inventory(), Inventory.class).forEach(inv -> latest.put(inv.facts().host(), inv));
        return latest;
    }

    Set<String> guestsOn(String host) {
        return Optional.ofNullable(inventories().get(host)).map(inv -> inv.guests().stream().map(GuestDescriptor::name)
                .collect(Collectors.toSet())).orElse(Set.of());
    }

    /** When the tap saw the last command of leader epoch {@code epoch}. */
    OptionalLong lastCommandOf(long epoch) {
        return commands().stream().filter(s -> s.envelope().epoch() == epoch).mapToLong(TopicTap.Seen::seenAt).max();
    }

    /** When the tap saw the first command of a leader newer than {@code epoch}. */
    OptionalLong firstCommandAfter(long epoch) {
        return commands().stream().filter(s -> s.envelope().epoch() > epoch).mapToLong(TopicTap.Seen::seenAt).min();
    }

    /** Every command and result of {@code guest} since {@code since}, for a failure message. */
    String history(String guest, long since) {
        StringBuilder b = new StringBuilder("\n  what the topics say of " + guest + ":");
        for (Envelope e : migrates(Set.of(guest), since)) {
            Migrate m = (Migrate) e.body();
            b.append("\n  command ").append(e.id()).append(" epoch ").append(e.epoch()).append(' ').append(m.source())
                    .append(" -> ").append(m.target());
            results().stream().filter(r -> r.commandId().equals(e.id()))
                    .forEach(r -> b.append("\n    ").append(r.status()).append(' ').append(r.reason()));
        }
        return b.toString();
    }

    @Override
    public void close() throws InterruptedException {
        tap.close();
    }
}
