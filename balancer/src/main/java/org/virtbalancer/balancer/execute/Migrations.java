package org.virtbalancer.balancer.execute;

import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Bookkeeping of issued migrations: what is in flight, deadlines, results, failed targets per
 * guest (so a retry goes elsewhere), attempts, and cooldowns after successful moves.
 */
public final class Migrations {
    /** Time an agent gets after a deadline to report before the balancer aborts and gives up. */
    public static final Duration GRACE = Duration.ofSeconds(30);
    /** Failed attempts older than this no longer count against a guest or a target. */
    public static final Duration FAILURE_MEMORY = Duration.ofHours(1);
    private static final int CLOSED_KEPT = 1000;

    private final ConcurrencyLimits limits;
    private final Duration cooldown;
    private final Duration minDeadline;
    private final int maxAttempts;

    private final Map<String, Migration> inFlight = new LinkedHashMap<>();
    private final Map<String, Migration> closed = new LinkedHashMap<>();
    private final Map<String, List<Failure>> failures = new HashMap<>();
    private final Map<String, Long> cooldownUntil = new HashMap<>();
    private final Map<String, String> cameFrom = new HashMap<>();
    /** Failures and cooldowns that no longer count are dropped this often (from {@link #expire}). */
    static final Duration PRUNE_EVERY = Duration.ofMinutes(1);
    private long lastPruned = Long.MIN_VALUE;
    private long issued;
    private long succeeded;
    private long failed;

    /** One failed attempt to move a guest to a target. */
    public record Failure(String target, String reason, long at) {}

    /** A migration that ended: how, why (empty on success) and when its end was known. */
    public record Ended(Migration migration, String outcome, long at) {}

    /** How many ended migrations {@link #recent()} keeps. */
    public static final int RECENT_KEPT = 50;
    private final Deque<Ended> recent = new ArrayDeque<>();

    public Migrations(ConcurrencyLimits limits, Duration cooldown, Duration minDeadline, int maxAttempts) {
        this.limits = limits;
        this.cooldown = cooldown;
        this.minDeadline = minDeadline;
        this.maxAttempts = Math.max(1, maxAttempts);
    }

    /** Deadline for a migration predicted to take {@code predictedMs}: three times that, never less than the minimum. */
    public long deadline(long now, double predictedMs) {
        return now + Math.max(minDeadline.toMillis(), (long) Math.ceil(3 * predictedMs));
    }

    /** Whether this command id was started here (issued, or observed from the leader), in flight or closed. */
    public boolean knows(String commandId) {
        return inFlight.containsKey(commandId) || closed.containsKey(commandId);
    }

    public Migration start(String commandId, Migrate command, Purpose purpose, long now) {
        Migration m = new Migration(commandId, command, purpose, now, ResultStatus.ACCEPTED, 0);
        inFlight.put(commandId, m);
        issued++;
        return m;
    }

    public ResultOutcome onResult(CommandResult result, long now) {
        Migration m = inFlight.get(result.commandId());
        if (m == null) {
            Migration done = closed.get(result.commandId());
            if (done != null && result.status() == ResultStatus.SUCCEEDED && done.status() != ResultStatus.SUCCEEDED) {
                // We gave up on it, but the guest did move: the model must follow the truth.
                close(done.withProgress(ResultStatus.SUCCEEDED, 100));
                ended(done.withProgress(ResultStatus.SUCCEEDED, 100), "", now);
                startCooldown(done, now);
                return new ResultOutcome.Succeeded(done, true);
            }
            return new ResultOutcome.Ignored();
        }
        switch (result.status()) {
            case ACCEPTED, PROGRESS -> {
                Migration updated = m.withProgress(result.status(), result.percent());
                inFlight.put(m.commandId(), updated);
                return new ResultOutcome.Progressed(updated);
            }
            case SUCCEEDED -> {
                inFlight.remove(m.commandId());
                close(m.withProgress(ResultStatus.SUCCEEDED, 100));
                ended(m.withProgress(ResultStatus.SUCCEEDED, 100), "", now);
                succeeded++;
                failures.remove(m.guest());
                startCooldown(m, now);
                return new ResultOutcome.Succeeded(m, false);
            }
            default -> {
                String reason = result.reason().isBlank()
                        ? "the agent on " + m.source() + " reported " + result.status().name().toLowerCase() + " without a reason"
                        : result.reason();
                fail(m, result.status(), reason, now);
                return new ResultOutcome.Failed(m, reason);
            }
        }
    }

    /** Migrations past their deadline plus {@link #GRACE} with no final result; each is closed as failed. */
    public List<Migration> expire(long now) {
        if (lastPruned == Long.MIN_VALUE || now - lastPruned >= PRUNE_EVERY.toMillis()) {
            prune(now);
        }
        List<Migration> overdue = new ArrayList<>();
        for (Migration m : List.copyOf(inFlight.values())) {
            if (now > m.deadlineTs() + GRACE.toMillis()) {
                overdue.add(m);
                fail(m, ResultStatus.FAILED, "timed out: no final result " + GRACE.toSeconds() + " s after its deadline", now);
            }
        }
        return overdue;
    }

    public List<Migration> inFlight() {
        return List.copyOf(inFlight.values());
    }

    public Optional<Migration> inFlightFor(String guest) {
        return inFlight.values().stream().filter(m -> m.guest().equals(guest)).findFirst();
    }

    public boolean isInFlight(String commandId) {
        return inFlight.containsKey(commandId);
    }

    /** Slots for one planning round, with the in-flight migrations already holding theirs. */
    public Slots slots() {
        Slots slots = new Slots(limits);
        inFlight.values().forEach(m -> slots.take(m.source(), m.target()));
        return slots;
    }

    public boolean inCooldown(String guest, long now) {
        return now < cooldownUntil.getOrDefault(guest, Long.MIN_VALUE);
    }

    public long cooldownUntil(String guest) {
        return cooldownUntil.getOrDefault(guest, 0L);
    }

    /** The host a guest last moved away from, for explanations. */
    public Optional<String> cameFrom(String guest) {
        return Optional.ofNullable(cameFrom.get(guest));
    }

    public List<Failure> recentFailures(String guest, long now) {
        return failures.getOrDefault(guest, List.of()).stream()
                .filter(f -> now - f.at() <= FAILURE_MEMORY.toMillis())
                .toList();
    }

    /** Why moving this guest to this target failed before, if it did recently. */
    public Optional<String> failureOn(String guest, String target, long now) {
        if (!failures.containsKey(guest)) {
            return Optional.empty(); // the usual case, asked for every candidate target
        }
        return recentFailures(guest, now).stream().filter(f -> f.target().equals(target))
                .reduce((a, b) -> b).map(Failure::reason);
    }

    public boolean attemptsExhausted(String guest, long now) {
        if (!failures.containsKey(guest)) {
            return false; // asked for every guest on every overloaded host; most never failed
        }
        return recentFailures(guest, now).size() >= maxAttempts;
    }

    /** "failed 3 times (host-2: …; host-3: …)", for blocked guests. */
    public String failureSummary(String guest, long now) {
        List<Failure> recent = recentFailures(guest, now);
        return guest + " failed to migrate " + recent.size() + (recent.size() == 1 ? " time" : " times") + " ("
                + recent.stream().map(f -> "to " + f.target() + ": " + f.reason()).collect(Collectors.joining("; "))
                + ")";
    }

    /** An operator asked again (e.g. re-sent EnterMaintenance): earlier failures no longer hold the guest back. */
    public void forgetFailures(String guest) {
        failures.remove(guest);
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public long issued() {
        return issued;
    }

    public long succeeded() {
        return succeeded;
    }

    public long failed() {
        return failed;
    }

    /**
     * Forgets failures older than {@link #FAILURE_MEMORY} and cooldowns that have ended (with where
     * the guest came from, said only during its cooldown): every guest ever named in a command
     * would otherwise stay here for good, made-up ones included.
     */
    void prune(long now) {
        lastPruned = now;
        failures.values().forEach(list -> list.removeIf(f -> now - f.at() > FAILURE_MEMORY.toMillis()));
        failures.values().removeIf(List::isEmpty);
        cooldownUntil.values().removeIf(until -> now >= until);
        cameFrom.keySet().retainAll(cooldownUntil.keySet());
    }

    /** Guests this bookkeeping remembers failures or a cooldown of (for tests). */
    int guestsRemembered() {
        java.util.Set<String> guests = new java.util.HashSet<>(failures.keySet());
        guests.addAll(cooldownUntil.keySet());
        guests.addAll(cameFrom.keySet());
        return guests.size();
    }

    private void fail(Migration m, ResultStatus status, String reason, long now) {
        inFlight.remove(m.commandId());
        close(m.withProgress(status, m.percent()));
        ended(m.withProgress(status, m.percent()), reason, now);
        failed++;
        failures.computeIfAbsent(m.guest(), g -> new ArrayList<>()).add(new Failure(m.target(), reason, now));
    }

    private void startCooldown(Migration m, long now) {
        cooldownUntil.put(m.guest(), now + cooldown.toMillis());
        cameFrom.put(m.guest(), m.source());
    }

    /** The latest migrations that ended, oldest first; at most {@link #RECENT_KEPT}. */
    public List<Ended> recent() {
        return List.copyOf(recent);
    }

    private void ended(Migration m, String outcome, long now) {
        recent.addLast(new Ended(m, outcome, now));
        while (recent.size() > RECENT_KEPT) {
            recent.removeFirst();
        }
    }

    private void close(Migration m) {
        closed.put(m.commandId(), m);
        for (Iterator<String> it = closed.keySet().iterator(); closed.size() > CLOSED_KEPT && it.hasNext(); ) {
            it.next();
            it.remove();
        }
    }
}
