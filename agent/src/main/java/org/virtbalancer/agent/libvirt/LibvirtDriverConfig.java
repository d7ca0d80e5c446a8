package org.virtbalancer.agent.libvirt;

import org.virtbalancer.protocol.Check;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How the libvirt driver reaches and describes its own host. {@link #of} gives the defaults; the
 * {@code with…} methods change one setting.
 *
 * @param hostId           this host's id, as in the agent's config
 * @param uri              the URI this agent opens, e.g. {@code qemu:///system}
 * @param peerUri          the URI other hosts' libvirtd use to reach this one for peer-to-peer
 *                         migration, e.g. {@code qemu+tcp://10.0.0.5/system}; defaults to {@code uri}
 * @param migrationAddress address of this host on the migration network ({@code tcp://ADDR} is the
 *                         migrate URI peers use); empty lets libvirt pick
 * @param subnet           the migration network in CIDR notation; may be empty
 * @param linkMiBps        bandwidth of the migration link, MiB/s (default 1250, i.e. 10 Gbit/s)
 * @param pollInterval     how often a running migration's progress is read from libvirt (default 500 ms)
 * @param labels           operator labels (host group, rack, …); {@code host-uuid} is added from libvirt
 */
public record LibvirtDriverConfig(String hostId, String uri, String peerUri, String migrationAddress, String subnet,
                                  double linkMiBps, Duration pollInterval, Map<String, String> labels) {
    public static final double DEFAULT_LINK_MIBPS = 1250;
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(500);
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9._:\\[\\]-]{1,253}");
    private static final Pattern CIDR = Pattern.compile("[0-9A-Fa-f.:]+/\\d{1,3}");

    public LibvirtDriverConfig {
        if (hostId == null || !Check.NAME.matcher(hostId).matches()) {
            throw new IllegalArgumentException("hostId '" + hostId + "' is not a valid host id: use 1-128 letters, digits,"
                    + " '.', '_', ':' or '-', starting with a letter or digit, as in the agent's config");
        }
        uri = requireUri("uri", uri);
        peerUri = peerUri == null || peerUri.isBlank() ? uri : requireUri("peerUri", peerUri);
        migrationAddress = migrationAddress == null ? "" : migrationAddress.strip();
        if (!migrationAddress.isEmpty() && !ADDRESS.matcher(migrationAddress).matches()) {
            throw new IllegalArgumentException("migrationAddress '" + migrationAddress + "' is not a host name or IP address:"
                    + " give only the address (no scheme or port), e.g. 10.0.0.5, or leave it empty");
        }
        subnet = subnet == null ? "" : subnet.strip();
        if (!subnet.isEmpty() && !CIDR.matcher(subnet).matches()) {
            throw new IllegalArgumentException("subnet '" + subnet + "' is not in CIDR notation: write it like 10.0.0.0/24, or leave it empty");
        }
        if (!(linkMiBps > 0) || Double.isInfinite(linkMiBps)) {
            throw new IllegalArgumentException("linkMiBps must be a finite number above 0 (MiB/s of the migration link), got " + linkMiBps);
        }
        if (pollInterval == null || pollInterval.toMillis() < 10) {
            throw new IllegalArgumentException("pollInterval must be at least 10 ms, got " + pollInterval + ": use e.g. 500 ms");
        }
        labels = Map.copyOf(labels == null ? Map.of() : labels);
        labels.keySet().forEach(k -> {
            if (!Check.NAME.matcher(k).matches()) {
                throw new IllegalArgumentException("label key '" + k + "' is not valid: use 1-128 letters, digits, '.', '_', ':' or '-'");
            }
        });
    }

    /** The defaults: peers reach this host at {@code uri}, libvirt picks the migration address, 1250 MiB/s, 500 ms polling. */
    public static LibvirtDriverConfig of(String hostId, String uri) {
        return new LibvirtDriverConfig(hostId, uri, uri, "", "", DEFAULT_LINK_MIBPS, DEFAULT_POLL_INTERVAL, Map.of());
    }

    public LibvirtDriverConfig withPeerUri(String value) {
        return new LibvirtDriverConfig(hostId, uri, value, migrationAddress, subnet, linkMiBps, pollInterval, labels);
    }

    public LibvirtDriverConfig withMigrationAddress(String value) {
        return new LibvirtDriverConfig(hostId, uri, peerUri, value, subnet, linkMiBps, pollInterval, labels);
    }

    public LibvirtDriverConfig withSubnet(String value) {
        return new LibvirtDriverConfig(hostId, uri, peerUri, migrationAddress, value, linkMiBps, pollInterval, labels);
    }

    public LibvirtDriverConfig withLinkMiBps(double value) {
        return new LibvirtDriverConfig(hostId, uri, peerUri, migrationAddress, subnet, value, pollInterval, labels);
    }

    public LibvirtDriverConfig withPollInterval(Duration value) {
        return new LibvirtDriverConfig(hostId, uri, peerUri, migrationAddress, subnet, linkMiBps, value, labels);
    }

    public LibvirtDriverConfig withLabels(Map<String, String> value) {
        return new LibvirtDriverConfig(hostId, uri, peerUri, migrationAddress, subnet, linkMiBps, pollInterval, value);
    }

    private static String requireUri(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required: give a libvirt URI such as qemu:///system");
        }
        try {
            URI parsed = new URI(value.strip());
            if (parsed.getScheme() == null) {
                throw new IllegalArgumentException(field + " '" + value + "' has no scheme: write a libvirt URI such as"
                        + " qemu:///system or qemu+tcp://host/system");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(field + " '" + value + "' is not a valid URI (" + e.getReason()
                    + "): write a libvirt URI such as qemu:///system", e);
        }
        return value.strip();
    }
}
