package org.virtbalancer.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code virsh migrate}'s options, under virsh's own names, as an operator gives them to
 * {@code vbal migrate}, the HTTP API ({@code POST /api/migrations}, the JSON keys are the option
 * names without dashes) and the live page. {@link #mode()} and {@link #options()} turn them into the
 * protocol's form; the constructor refuses the combinations virsh and libvirt refuse, with the
 * guide's reasons.
 *
 * <p>As in virsh: neither {@code --live} nor {@code --offline} is a non-live migration (the guest is
 * paused while its memory is copied); without {@code --persistent} the copy on the target is
 * transient and the source keeps its definition; {@code --persistent --undefinesource} is the
 * "true" move.
 *
 * @param live                {@code --live}
 * @param offline             {@code --offline}: only the definition moves (needs {@code --persistent})
 * @param persistent          {@code --persistent}
 * @param undefineSource      {@code --undefinesource} (needs {@code --persistent})
 * @param suspend             {@code --suspend}: leave the guest paused on the target
 * @param copyStorageAll      {@code --copy-storage-all}
 * @param copyStorageInc      {@code --copy-storage-inc}
 * @param parallel            {@code --parallel}
 * @param parallelConnections {@code --parallel-connections N} (needs {@code --parallel}); 0 = libvirt's default
 * @param bandwidth           {@code --bandwidth} in MiB/s; 0 = unlimited
 * @param migrateUri          {@code --migrateuri}: must name the target's migration address
 * @param unsafe              {@code --unsafe}: allow disk cache modes other than none
 * @param autoConverge        {@code --auto-converge}
 * @param postCopy            {@code --postcopy}
 * @param timeout             {@code --timeout} seconds; 0 = none
 * @param timeoutPostCopy     {@code --timeout-postcopy}: at the timeout switch to post-copy rather than pause
 */
public record VirshMigrate(boolean live, boolean offline, boolean persistent,
                           @JsonProperty("undefinesource") boolean undefineSource, boolean suspend,
                           @JsonProperty("copy-storage-all") boolean copyStorageAll,
                           @JsonProperty("copy-storage-inc") boolean copyStorageInc,
                           boolean parallel,
                           @JsonProperty("parallel-connections") int parallelConnections,
                           long bandwidth,
                           @JsonProperty("migrateuri") String migrateUri,
                           boolean unsafe,
                           @JsonProperty("auto-converge") boolean autoConverge,
                           @JsonProperty("postcopy") boolean postCopy,
                           long timeout,
                           @JsonProperty("timeout-postcopy") boolean timeoutPostCopy) {
    /** libvirt's number of parallel connections when {@code --parallel} names none. */
    public static final int DEFAULT_PARALLEL_CONNECTIONS = 2;

    public VirshMigrate {
        migrateUri = Check.optionalText("migrateuri", migrateUri);
        if (live && offline) {
            throw new InvalidMessageException("offline", "--live and --offline exclude each other: --live moves a running"
                    + " guest, --offline only the definition of a shut-off one");
        }
        if (undefineSource && !persistent) {
            throw new InvalidMessageException("undefinesource", "--undefinesource without --persistent is refused: the"
                    + " target would get only a transient copy and the source's definition would be removed, so both"
                    + " definitions are lost once the guest shuts down; add --persistent");
        }
        if (offline && !persistent) {
            throw new InvalidMessageException("offline", "--offline moves only the definition, so it needs --persistent");
        }
        if (copyStorageAll && copyStorageInc) {
            throw new InvalidMessageException("copy-storage-inc", "--copy-storage-all and --copy-storage-inc exclude each"
                    + " other; choose one");
        }
        if (offline) {
            String needsRunning = copyStorageAll ? "--copy-storage-all" : copyStorageInc ? "--copy-storage-inc"
                    : suspend ? "--suspend" : postCopy ? "--postcopy" : autoConverge ? "--auto-converge"
                    : timeout > 0 ? "--timeout" : parallel ? "--parallel" : "";
            if (!needsRunning.isEmpty()) {
                throw new InvalidMessageException("offline", needsRunning + " acts on a running guest's memory or disks;"
                        + " an --offline migration moves only the definition: drop one of them");
            }
        }
        Check.range("parallel-connections", parallelConnections, 0, 256);
        if (parallelConnections > 0 && !parallel) {
            throw new InvalidMessageException("parallel-connections", "--parallel-connections needs --parallel");
        }
        Check.nonNegative("bandwidth", bandwidth);
        Check.nonNegative("timeout", timeout);
        if (postCopy && !live) {
            throw new InvalidMessageException("postcopy", "--postcopy needs --live: post-copy resumes the guest on the"
                    + " target while memory still arrives, which a paused migration cannot do");
        }
        if (autoConverge && !live) {
            throw new InvalidMessageException("auto-converge", "--auto-converge needs --live: it slows a running guest's"
                    + " vCPUs so a live migration converges");
        }
        if (timeout > 0 && !live) {
            throw new InvalidMessageException("timeout", "--timeout needs --live: it pauses a live migration that runs"
                    + " too long");
        }
        if (timeoutPostCopy && (!postCopy || timeout == 0)) {
            throw new InvalidMessageException("timeout-postcopy", "--timeout-postcopy needs --postcopy and --timeout");
        }
        if (!migrateUri.isEmpty() && !migrateUri.startsWith("tcp://")) {
            throw new InvalidMessageException("migrateuri", "'" + migrateUri + "' is not of the form tcp://ADDRESS[:PORT];"
                    + " give the target's migration address");
        }
    }

    /** {@code --live}, {@code --offline} or neither (non-live: paused while memory is copied). */
    @JsonIgnore
    public MigrationMode mode() {
        return live ? MigrationMode.LIVE : offline ? MigrationMode.OFFLINE : MigrationMode.NON_LIVE;
    }

    /** The protocol's options for these flags. */
    @JsonIgnore
    public MigrationOptions options() {
        CopyStorage copy = copyStorageAll ? CopyStorage.ALL : copyStorageInc ? CopyStorage.INCREMENTAL : CopyStorage.NONE;
        int connections = parallel ? (parallelConnections > 0 ? parallelConnections : DEFAULT_PARALLEL_CONNECTIONS) : 0;
        return new MigrationOptions(persistent, undefineSource, suspend, copy, connections, migrateUri, bandwidth, unsafe,
                0, autoConverge, postCopy, false, 0, timeout, timeoutPostCopy);
    }

    /** The virsh command line these options stand for, e.g. {@code --live --persistent --undefinesource}. */
    public String commandLine() {
        StringBuilder b = new StringBuilder();
        flag(b, live, "--live");
        flag(b, offline, "--offline");
        flag(b, persistent, "--persistent");
        flag(b, undefineSource, "--undefinesource");
        flag(b, suspend, "--suspend");
        flag(b, copyStorageAll, "--copy-storage-all");
        flag(b, copyStorageInc, "--copy-storage-inc");
        flag(b, parallel, "--parallel");
        flag(b, parallelConnections > 0, "--parallel-connections " + parallelConnections);
        flag(b, bandwidth > 0, "--bandwidth " + bandwidth);
        flag(b, !migrateUri.isEmpty(), "--migrateuri " + migrateUri);
        flag(b, unsafe, "--unsafe");
        flag(b, autoConverge, "--auto-converge");
        flag(b, postCopy, "--postcopy");
        flag(b, timeout > 0, "--timeout " + timeout);
        flag(b, timeoutPostCopy, "--timeout-postcopy");
        return b.toString();
    }

    private static void flag(StringBuilder b, boolean on, String text) {
        if (on) {
            if (!b.isEmpty()) {
                b.append(' ');
            }
            b.append(text);
        }
    }
}
