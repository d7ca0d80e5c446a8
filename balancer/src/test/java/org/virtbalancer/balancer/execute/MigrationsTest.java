package org.virtbalancer.balancer.execute;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MigrationsTest {
    private final Migrations migrations = new Migrations(new ConcurrencyLimits(2, 2, 8), Duration.ofMinutes(5),
            Duration.ofSeconds(60), 3);

    private void run(String id, String guest, ResultStatus outcome, long now) {
        migrations.start(id, new Migrate(guest, "h1", "h2", MigrationMode.LIVE, MigrationOptions.move(), now + 60_000, ""),
                Purpose.BALANCING, now);
        migrations.onResult(new CommandResult(id, "h1", guest, outcome, 100, outcome == ResultStatus.SUCCEEDED ? "" : "no",
                null), now);
    }

    @Test
    void failuresAndCooldownsOfGuestsNamedOnceAreForgottenOnceTheyNoLongerCount() {
        long now = 1_000_000;
        // Commands for ever new guests (made-up ones on a hostile command topic are rejected by the agent).
        for (int i = 0; i < 10_000; i++) {
            run("c" + i, "vm-" + i, i % 10 == 0 ? ResultStatus.SUCCEEDED : ResultStatus.REJECTED, now);
        }
        assertEquals(10_000, migrations.guestsRemembered());
        assertTrue(migrations.attemptsExhausted("vm-1", now) || migrations.failureOn("vm-1", "h2", now).isPresent());

        long later = now + Migrations.FAILURE_MEMORY.toMillis() + 1;
        migrations.expire(later);
        assertEquals(0, migrations.guestsRemembered(), "an hour later none of them counts any more");
        assertTrue(migrations.failureOn("vm-1", "h2", later).isEmpty());
        assertTrue(!migrations.inCooldown("vm-0", later));
    }

    @Test
    void recentFailuresAndCooldownsStay() {
        long now = 1_000_000;
        run("a", "web-1", ResultStatus.FAILED, now);
        run("b", "web-2", ResultStatus.SUCCEEDED, now);
        migrations.expire(now + Migrations.PRUNE_EVERY.toMillis() + 1);
        assertTrue(migrations.failureOn("web-1", "h2", now + 1).isPresent());
        assertTrue(migrations.inCooldown("web-2", now + 1));
        assertEquals("h1", migrations.cameFrom("web-2").orElseThrow());
    }
}
