package org.virtbalancer.protocol;

/**
 * virsh migrate's options, in protocol form (README "Migrating by hand").
 * Zero means "not set" for the numeric ones.
 *
 * @param persistent          keep a persistent definition on the target ({@code --persistent})
 * @param undefineSource      remove the definition from the source ({@code --undefinesource})
 * @param suspendOnTarget     leave the guest paused on the target ({@code --suspend})
 * @param copyStorage         copy disks too ({@code --copy-storage-all/-inc})
 * @param parallelConnections parallel migration streams ({@code --parallel-connections}); 0 = off
 * @param migrateUri          the target address to use, chosen from the target's known addresses
 * @param bandwidthMiBps      bandwidth cap; 0 = unlimited
 * @param unsafe              allow cache modes other than none ({@code --unsafe})
 * @param maxDowntimeMs       allowed pause at switch-over; 0 = hypervisor default
 * @param autoConverge        throttle vCPUs until it converges
 * @param postCopy            switch to post-copy if pre-copy does not converge
 * @param compressed          compress memory pages
 * @param abortAfterS         abort when not done after this many seconds; 0 = no limit
 * @param timeoutS            virsh's {@code --timeout}: when a live migration has run this many seconds, pause the
 *                            guest so it completes (or, with {@code timeoutPostCopy}, switch to post-copy); 0 = never
 * @param timeoutPostCopy     virsh's {@code --timeout-postcopy}: at the timeout switch to post-copy instead of pausing
 */
public record MigrationOptions(boolean persistent, boolean undefineSource, boolean suspendOnTarget, CopyStorage copyStorage,
                               int parallelConnections, String migrateUri, long bandwidthMiBps, boolean unsafe,
                               long maxDowntimeMs, boolean autoConverge, boolean postCopy, boolean compressed,
                               long abortAfterS, long timeoutS, boolean timeoutPostCopy) {
    public MigrationOptions {
        copyStorage = copyStorage == null ? CopyStorage.NONE : copyStorage;
        Check.range("parallelConnections", parallelConnections, 0, 256);
        migrateUri = Check.optionalText("migrateUri", migrateUri);
        Check.nonNegative("bandwidthMiBps", bandwidthMiBps);
        Check.nonNegative("maxDowntimeMs", maxDowntimeMs);
        Check.nonNegative("abortAfterS", abortAfterS);
        Check.nonNegative("timeoutS", timeoutS);
        if (timeoutPostCopy && (!postCopy || timeoutS == 0)) {
            throw new InvalidMessageException("timeoutPostCopy", "needs postCopy and a timeoutS: it says what to do when"
                    + " the timeout passes (virsh: --timeout-postcopy requires --postcopy and --timeout)");
        }
        if (undefineSource && !persistent) {
            throw new InvalidMessageException("undefineSource",
                    "requires persistent: without it both definitions are lost once the guest shuts down");
        }
    }

    /** Live migration leaving a persistent definition on the target and none on the source: a "true" move. */
    public static MigrationOptions move() {
        return new MigrationOptions(true, true, false, CopyStorage.NONE, 0, "", 0, false, 0, false, false, false, 0, 0, false);
    }

    public MigrationOptions withSuspendOnTarget(boolean value) {
        return new MigrationOptions(persistent, undefineSource, value, copyStorage, parallelConnections, migrateUri,
                bandwidthMiBps, unsafe, maxDowntimeMs, autoConverge, postCopy, compressed, abortAfterS, timeoutS, timeoutPostCopy);
    }

    public MigrationOptions withMaxDowntimeMs(long value) {
        return new MigrationOptions(persistent, undefineSource, suspendOnTarget, copyStorage, parallelConnections, migrateUri,
                bandwidthMiBps, unsafe, value, autoConverge, postCopy, compressed, abortAfterS, timeoutS, timeoutPostCopy);
    }
}
