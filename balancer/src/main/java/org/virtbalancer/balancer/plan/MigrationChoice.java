package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.PreCopyModel;

/**
 * How a guest would move over a link of a given bandwidth: mode, options and predicted cost,
 * or why it cannot.
 *
 * @param possible   whether any acceptable way exists
 * @param mode       kind of migration
 * @param options    its options
 * @param prediction predicted transfer, duration and downtime
 * @param reason     why it is impossible; empty when possible
 */
public record MigrationChoice(boolean possible, MigrationMode mode, MigrationOptions options,
                              PreCopyModel.Prediction prediction, String reason) {

    /** The mode eligibility is checked for: offline for shut-off guests, live for the rest. */
    public static MigrationMode baseMode(GuestState state) {
        return state == GuestState.SHUTOFF ? MigrationMode.OFFLINE : MigrationMode.LIVE;
    }

    /** Balancing moves are plain live migrations; a guest that would not converge is left alone. */
    public static MigrationChoice forBalancing(Guest guest, double bandwidthMiBps, long maxDowntimeMs) {
        MigrationOptions options = MigrationOptions.move().withMaxDowntimeMs(maxDowntimeMs);
        PreCopyModel.Prediction live = PreCopyModel.live(guest.descriptor().memoryMiB(), guest.usage().dirtyRateMiBps(),
                bandwidthMiBps, maxDowntimeMs, false, false);
        return new MigrationChoice(live.converges(), MigrationMode.LIVE, options, live,
                live.converges() ? "" : guest.name() + " " + live.reason());
    }

    /**
     * Maintenance must empty the host: live first, then auto-converge, then post-copy, then (if
     * allowed) a non-live migration that pauses the guest for the copy.
     */
    public static MigrationChoice forMaintenance(Guest guest, double bandwidthMiBps, long maxDowntimeMs,
                                                 boolean allowPause) {
        MigrationOptions move = MigrationOptions.move().withMaxDowntimeMs(maxDowntimeMs);
        long memory = guest.descriptor().memoryMiB();
        if (guest.state() == GuestState.SHUTOFF) {
            return new MigrationChoice(true, MigrationMode.OFFLINE, MigrationOptions.move(), PreCopyModel.offline(), "");
        }
        if (guest.state() == GuestState.PAUSED) {
            // A paused guest dirties no memory, and it must stay paused on the target.
            return new MigrationChoice(true, MigrationMode.LIVE, move.withSuspendOnTarget(true),
                    PreCopyModel.live(memory, 0, bandwidthMiBps, maxDowntimeMs, false, false), "");
        }
        double dirty = guest.usage().dirtyRateMiBps();
        PreCopyModel.Prediction plain = PreCopyModel.live(memory, dirty, bandwidthMiBps, maxDowntimeMs, false, false);
        if (plain.converges()) {
            return new MigrationChoice(true, MigrationMode.LIVE, move, plain, "");
        }
        PreCopyModel.Prediction auto = PreCopyModel.live(memory, dirty, bandwidthMiBps, maxDowntimeMs, true, false);
        if (auto.converges()) {
            return new MigrationChoice(true, MigrationMode.LIVE, with(move, true, false), auto, "");
        }
        PreCopyModel.Prediction post = PreCopyModel.live(memory, dirty, bandwidthMiBps, maxDowntimeMs, false, true);
        if (post.converges()) {
            return new MigrationChoice(true, MigrationMode.LIVE, with(move, false, true), post, "");
        }
        if (allowPause) {
            PreCopyModel.Prediction pause = PreCopyModel.nonLive(memory, bandwidthMiBps);
            if (pause.converges()) {
                return new MigrationChoice(true, MigrationMode.NON_LIVE, move, pause, "");
            }
        }
        return new MigrationChoice(false, MigrationMode.LIVE, move, plain, guest.name() + " " + plain.reason()
                + (allowPause ? "" : " (pausing guests for maintenance is not allowed)"));
    }

    private static MigrationOptions with(MigrationOptions o, boolean autoConverge, boolean postCopy) {
        return new MigrationOptions(o.persistent(), o.undefineSource(), o.suspendOnTarget(), o.copyStorage(),
                o.parallelConnections(), o.migrateUri(), o.bandwidthMiBps(), o.unsafe(), o.maxDowntimeMs(),
                autoConverge, postCopy, o.compressed(), o.abortAfterS());
    }
}
