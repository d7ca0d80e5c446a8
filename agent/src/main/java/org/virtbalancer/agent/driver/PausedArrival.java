package org.virtbalancer.agent.driver;

/**
 * A guest that arrived on its host by a migration that left it paused ({@code suspendOnTarget},
 * or it was paused when that migration began) and has not run since still has its disks handed
 * over to the previous host: QEMU activates them only when the guest first runs. Migrating it again
 * makes QEMU 7.2 (the test bed's) abort with {@code bdrv_inactivate_recurse: Assertion
 * `!(bs->open_flags & BDRV_O_INACTIVE)' failed}; the guest is lost ("shut off (crashed)"). A
 * known QEMU issue (Red Hat RHEL-48801; OpenStack's CI skips paused live migration for it). So
 * every driver refuses that migration, the same way, until the guest has run once.
 */
public final class PausedArrival {
    private PausedArrival() {}

    /** Why such a migration is refused, and what to do. */
    public static String refusal(String guest, String host, String qemuVersion) {
        return "guest " + guest + " has been paused since a migration brought it to " + host + " and has not run there since;"
                + " migrating it again now makes QEMU " + (qemuVersion.isEmpty() ? "" : qemuVersion + " ") + "abort (its disks were"
                + " never taken over on " + host + ") and the guest would be lost. Resume it once (virsh resume " + guest + "),"
                + " pause it again if it must stay paused, then migrate it";
    }
}
