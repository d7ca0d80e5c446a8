package org.virtbalancer.agent.libvirt;

import org.libvirt.Domain.DomainMigrateParameters;
import org.libvirt.Domain.MigrateFlags;
import org.libvirt.TypedIntParameter;
import org.libvirt.TypedParameter;
import org.libvirt.TypedStringParameter;
import org.libvirt.TypedUlongParameter;
import org.virtbalancer.agent.driver.MigrateUri;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code virDomainMigrateToURI3} call (libvirt-java's {@code Domain.migrateToURI(String,
 * TypedParameter[], int)}) built from a migration request, as the README's migration table maps the protocol
 * to libvirt. Always peer-to-peer: the source libvirtd connects to the target's libvirtd itself.
 *
 * @param destination      the target libvirtd's URI, from the inventory (the target's {@code peerUri})
 * @param flags            {@code VIR_MIGRATE_*} flags
 * @param params           typed parameters by name: {@code String}, {@code Long} (ulong) or {@code Integer}
 * @param maxDowntimeMs    set with {@code virDomainMigrateSetMaxDowntime} once the job runs; 0 = libvirt's default
 * @param startPostCopy    switch to post-copy with {@code virDomainMigrateStartPostCopy} when pre-copy has
 *                         not converged after {@link #POST_COPY_AFTER_ROUNDS} rounds
 * @param timeoutMs        virsh's {@code --timeout}: when the live migration has run this long and is not done,
 *                         suspend the guest ({@code virDomainSuspend}) so it completes paused, or with
 *                         {@code timeoutPostCopy} switch to post-copy; 0 = never
 * @param timeoutPostCopy  virsh's {@code --timeout-postcopy}: at the timeout switch to post-copy instead of
 *                         suspending; the switch then waits for the timeout instead of coming after
 *                         {@link #POST_COPY_AFTER_ROUNDS} rounds, as with virsh
 */
record MigrationCall(String destination, int flags, Map<String, Object> params, long maxDowntimeMs, boolean startPostCopy,
                     long timeoutMs, boolean timeoutPostCopy) {
    /** As the simulated driver and the planner's pre-copy model: post-copy starts with the third round. */
    static final int POST_COPY_AFTER_ROUNDS = 2;

    MigrationCall {
        params = Map.copyOf(params);
    }

    /**
     * @throws IllegalArgumentException when the request's migrate URI does not name the target's
     *                                  migration address, or the target has no usable libvirt URI
     */
    static MigrationCall of(MigrationMode mode, MigrationOptions o, HostFacts target) {
        String destination = destination(target);
        int flags = MigrateFlags.PEER2PEER;
        switch (mode) {
            case LIVE -> flags |= MigrateFlags.LIVE;
            case NON_LIVE -> { }
            case OFFLINE -> flags |= MigrateFlags.OFFLINE | MigrateFlags.PERSIST_DEST;
        }
        if (o.persistent()) {
            flags |= MigrateFlags.PERSIST_DEST;
        }
        if (o.undefineSource()) {
            flags |= MigrateFlags.UNDEFINE_SOURCE;
        }
        if (o.suspendOnTarget()) {
            flags |= MigrateFlags.PAUSED;
        }
        if (o.copyStorage() == CopyStorage.ALL) {
            flags |= MigrateFlags.NON_SHARED_DISK;
        } else if (o.copyStorage() == CopyStorage.INCREMENTAL) {
            flags |= MigrateFlags.NON_SHARED_INC;
        }
        if (o.unsafe()) {
            flags |= MigrateFlags.UNSAFE;
        }
        if (o.autoConverge()) {
            flags |= MigrateFlags.AUTO_CONVERGE;
        }
        if (o.postCopy()) {
            flags |= MigrateFlags.POSTCOPY;
        }
        if (o.compressed()) {
            flags |= MigrateFlags.COMPRESSED;
        }
        Map<String, Object> params = new LinkedHashMap<>();
        if (o.parallelConnections() > 0) {
            flags |= MigrateFlags.PARALLEL;
            params.put(DomainMigrateParameters.VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, o.parallelConnections());
        }
        if (o.bandwidthMiBps() > 0) {
            params.put(DomainMigrateParameters.VIR_MIGRATE_PARAM_BANDWIDTH, o.bandwidthMiBps());
        }
        String migrateUri = MigrateUri.resolve(o.migrateUri(), target);
        if (!migrateUri.isEmpty() && mode != MigrationMode.OFFLINE) {
            params.put(DomainMigrateParameters.VIR_MIGRATE_PARAM_URI, migrateUri);
        }
        // As virsh, the timeout acts on live migrations only: a non-live one has paused the guest from the start.
        boolean live = mode == MigrationMode.LIVE;
        long timeoutMs = live ? o.timeoutS() * 1000 : 0;
        boolean timeoutPostCopy = live && o.timeoutPostCopy() && timeoutMs > 0;
        return new MigrationCall(destination, flags, params, mode == MigrationMode.OFFLINE ? 0 : o.maxDowntimeMs(),
                o.postCopy() && live && !timeoutPostCopy, timeoutMs, timeoutPostCopy);
    }

    /**
     * The target's libvirt URI from the inventory, which this host's libvirtd (as root) will connect
     * to: refused when it could make libvirtd run a program ({@code +ext} transport, or a
     * {@code command} parameter, which the ssh transports run instead of ssh) rather than reach a peer.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static String destination(HostFacts target) {
        String uri = target.libvirtUri();
        if (uri.isEmpty()) {
            throw new IllegalArgumentException("target host " + target.host() + " has no libvirt URI in the inventory:"
                    + " set peerUri in that host's agent configuration");
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("target host " + target.host() + "'s libvirt URI '" + uri + "' in the inventory"
                    + " is not a URI: set peerUri in that host's agent configuration to e.g. qemu+tls://HOST/system", e);
        }
        String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(java.util.Locale.ROOT);
        String query = parsed.getRawQuery() == null ? "" : parsed.getRawQuery();
        boolean runsCommand = java.util.Arrays.stream(query.split("&"))
                .anyMatch(p -> p.toLowerCase(java.util.Locale.ROOT).startsWith("command="));
        if (scheme.isEmpty() || scheme.endsWith("+ext") || runsCommand) {
            throw new IllegalArgumentException("target host " + target.host() + "'s libvirt URI '" + uri + "' in the inventory"
                    + " would make libvirtd run a program instead of connecting to a peer (or names no driver), so no"
                    + " migration goes there: set peerUri on that host's agent to e.g. qemu+tls://HOST/system, and find out"
                    + " who published this inventory");
        }
        return uri;
    }

    /** The parameters as libvirt-java passes them to {@code virDomainMigrateToURI3}. */
    TypedParameter[] typedParameters() {
        return params.entrySet().stream().map(e -> {
            Object v = e.getValue();
            TypedParameter p = v instanceof String s ? new TypedStringParameter(e.getKey(), s)
                    : v instanceof Integer i ? new TypedIntParameter(e.getKey(), i)
                    : new TypedUlongParameter(e.getKey(), (Long) v);
            return p;
        }).toArray(TypedParameter[]::new);
    }
}
