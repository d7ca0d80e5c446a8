package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.PreCopyModel;

import java.util.ArrayList;
import java.util.List;

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

    /**
     * What may be used when a plain live migration would not converge within the allowed downtime.
     *
     * @param autoConverge throttle the guest's vCPUs until it converges (slower guest for a while)
     * @param postCopy     switch over early and pull the rest on demand (a network failure then loses the guest)
     * @param pause        a non-live migration: the guest is paused for the whole copy
     */
    public record Fallbacks(boolean autoConverge, boolean postCopy, boolean pause) {
        /** Plain live migrations only. */
        public static final Fallbacks NONE = new Fallbacks(false, false, false);

        /** "auto-converge, post-copy" or "none", for reasons. */
        public String describe() {
            List<String> names = new ArrayList<>();
            if (autoConverge) {
                names.add("auto-converge");
            }
            if (postCopy) {
                names.add("post-copy");
            }
            if (pause) {
                names.add("a paused (non-live) copy");
            }
            return names.isEmpty() ? "none" : String.join(", ", names);
        }
    }

    /**
     * A balancing move: live when it converges, else the fallbacks the policy allows for balancing,
     * in the order auto-converge, post-copy, pause; else none, with the reason.
     */
    public static MigrationChoice forBalancing(Guest guest, double bandwidthMiBps, long maxDowntimeMs,
                                               Fallbacks allowed) {
        return ladder(guest, bandwidthMiBps, maxDowntimeMs, allowed, "for balancing");
    }

    /** Plain live migrations only. */
    public static MigrationChoice forBalancing(Guest guest, double bandwidthMiBps, long maxDowntimeMs) {
        return forBalancing(guest, bandwidthMiBps, maxDowntimeMs, Fallbacks.NONE);
    }

    /**
     * Maintenance must empty the host: live first, then auto-converge, then post-copy, then (if
     * allowed) a non-live migration that pauses the guest for the copy.
     */
    public static MigrationChoice forMaintenance(Guest guest, double bandwidthMiBps, long maxDowntimeMs,
                                                 boolean allowPause) {
        if (guest.state() == GuestState.SHUTOFF) {
            return new MigrationChoice(true, MigrationMode.OFFLINE, MigrationOptions.move(), PreCopyModel.offline(), "");
        }
        return ladder(guest, bandwidthMiBps, maxDowntimeMs, new Fallbacks(true, true, allowPause), "for maintenance");
    }

    private static MigrationChoice ladder(Guest guest, double bandwidthMiBps, long maxDowntimeMs, Fallbacks allowed,
                                          String purpose) {
        MigrationOptions move = MigrationOptions.move().withMaxDowntimeMs(maxDowntimeMs);
        long memory = guest.descriptor().memoryMiB();
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
        if (allowed.autoConverge()) {
            PreCopyModel.Prediction auto = PreCopyModel.live(memory, dirty, bandwidthMiBps, maxDowntimeMs, true, false);
            if (auto.converges()) {
                return new MigrationChoice(true, MigrationMode.LIVE, with(move, true, false), auto, "");
            }
        }
        if (allowed.postCopy()) {
            PreCopyModel.Prediction post = PreCopyModel.live(memory, dirty, bandwidthMiBps, maxDowntimeMs, false, true);
            if (post.converges()) {
                return new MigrationChoice(true, MigrationMode.LIVE, with(move, false, true), post, "");
            }
        }
        if (allowed.pause()) {
            PreCopyModel.Prediction pause = PreCopyModel.nonLive(memory, bandwidthMiBps);
            if (pause.converges()) {
                return new MigrationChoice(true, MigrationMode.NON_LIVE, move, pause, "");
            }
        }
        return new MigrationChoice(false, MigrationMode.LIVE, move, plain, guest.name() + " " + plain.reason()
                + " (allowed " + purpose + ": " + allowed.describe() + ")");
    }

    /**
     * An operator's move as asked ({@code vbal migrate}): the mode and options are given, so nothing
     * is chosen; only predicted. A live migration that would not converge is not possible unless
     * auto-converge, post-copy or {@code --timeout} (pause when it runs too long) ends it.
     *
     * @param linkMiBps the source's link bandwidth; {@code options.bandwidthMiBps()} caps it
     */
    public static MigrationChoice asRequested(Guest guest, double linkMiBps, long maxDowntimeMs, MigrationMode mode,
                                              MigrationOptions options) {
        double bandwidth = options.bandwidthMiBps() > 0 ? Math.min(linkMiBps, options.bandwidthMiBps()) : linkMiBps;
        long memory = guest.descriptor().memoryMiB();
        long downtime = options.maxDowntimeMs() > 0 ? options.maxDowntimeMs() : maxDowntimeMs;
        PreCopyModel.Prediction p = switch (mode) {
            case OFFLINE -> PreCopyModel.offline();
            case NON_LIVE -> PreCopyModel.nonLive(memory, bandwidth);
            case LIVE -> PreCopyModel.live(memory, guest.state() == GuestState.PAUSED ? 0 : guest.usage().dirtyRateMiBps(),
                    bandwidth, downtime, options.autoConverge(), options.postCopy());
        };
        if (!p.converges() && mode == MigrationMode.LIVE && options.timeoutS() > 0 && bandwidth > 0) {
            // virsh --timeout: after that long the guest is paused (or switched to post-copy) and the rest copied once.
            PreCopyModel.Prediction rest = PreCopyModel.nonLive(memory, bandwidth);
            p = new PreCopyModel.Prediction(true, p.rounds(), p.transferredMiB() + memory,
                    options.timeoutS() * 1000.0 + rest.durationMs(), rest.durationMs(), "");
        }
        if (!p.converges()) {
            return new MigrationChoice(false, mode, options, p, guest.name() + " " + p.reason()
                    + (mode == MigrationMode.LIVE ? "; or add --timeout N to pause it after N seconds" : ""));
        }
        return new MigrationChoice(true, mode, options, p, "");
    }

    private static MigrationOptions with(MigrationOptions o, boolean autoConverge, boolean postCopy) {
        return new MigrationOptions(o.persistent(), o.undefineSource(), o.suspendOnTarget(), o.copyStorage(),
                o.parallelConnections(), o.migrateUri(), o.bandwidthMiBps(), o.unsafe(), o.maxDowntimeMs(),
                autoConverge, postCopy, o.compressed(), o.abortAfterS(), o.timeoutS(), o.timeoutPostCopy());
    }
}
