package org.virtbalancer.agent.libvirt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.QemuIdentity;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who QEMU runs as, read from this machine's own files: {@code user} and {@code group} in libvirt's
 * {@code qemu.conf}, resolved through {@code /etc/passwd} and {@code /etc/group}. Accounts that only
 * exist in a directory service (LDAP, SSSD) are not seen. Blocking file reads: call on worker threads.
 *
 * @param qemuConf libvirt's QEMU driver settings, normally {@code /etc/libvirt/qemu.conf}
 * @param passwd   the user database, normally {@code /etc/passwd}
 * @param group    the group database, normally {@code /etc/group}
 */
record QemuIdentityFiles(Path qemuConf, Path passwd, Path group) {
    private static final Logger LOG = LoggerFactory.getLogger(QemuIdentityFiles.class);
    static final QemuIdentityFiles SYSTEM = new QemuIdentityFiles(Path.of("/etc/libvirt/qemu.conf"), Path.of("/etc/passwd"),
            Path.of("/etc/group"));
    /** Groups that own /dev/kvm, libvirt's socket and shared images, whatever QEMU's own group is. */
    private static final List<String> WELL_KNOWN_GROUPS = List.of("kvm", "qemu", "libvirt");
    /** libvirt's built-in account when qemu.conf names none: Debian's and Ubuntu's first, then Fedora's and RHEL's. */
    private static final List<String> DEFAULT_ACCOUNTS = List.of("libvirt-qemu", "qemu");
    private static final Pattern SETTING = Pattern.compile("\\s*(user|group)\\s*=\\s*\"([^\"]*)\"\\s*(#.*)?");
    private static final long MAX_ID = 0xFFFF_FFFEL;

    /**
     * Whether {@code uri} reaches the system libvirtd on this machine, whose qemu.conf these files are:
     * {@code qemu:///system} or {@code qemu+unix:///system}. A session daemon runs QEMU as its own user
     * and a remote one reads another machine's files.
     */
    static boolean describesLocalSystemDaemon(String uri) {
        try {
            URI u = new URI(uri);
            boolean localScheme = "qemu".equals(u.getScheme()) || "qemu+unix".equals(u.getScheme());
            // ?socket=… points at another daemon (a test bed, a container) with its own qemu.conf.
            boolean otherSocket = u.getQuery() != null && u.getQuery().contains("socket=")
                    && !u.getQuery().matches("(.*&)?socket=(/var)?/run/libvirt/libvirt-sock(&.*)?");
            return localScheme && !otherSocket && (u.getHost() == null || u.getHost().isEmpty()) && u.getAuthority() == null
                    && "/system".equals(u.getPath());
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** libvirt's default range for incoming migration streams when qemu.conf sets none. */
    static final String DEFAULT_MIGRATION_PORTS = "49152-49215";
    private static final Pattern PORT = Pattern.compile("\\s*(migration_port_min|migration_port_max)\\s*=\\s*(\\d{1,5})\\s*(#.*)?");

    /** The port range QEMU listens on for incoming migrations, "min-max"; empty when qemu.conf is unreadable. */
    Optional<String> migrationPorts() {
        List<String> lines;
        try {
            lines = Files.readAllLines(qemuConf, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.of(DEFAULT_MIGRATION_PORTS);
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
        String min = "49152";
        String max = "49215";
        for (String line : lines) {
            Matcher m = PORT.matcher(line);
            if (m.matches()) {
                if (m.group(1).endsWith("min")) min = m.group(2); else max = m.group(2);
            }
        }
        return Optional.of(min + "-" + max);
    }

    /** The identity as far as the files tell it; {@link QemuIdentity#UNKNOWN} when none can be read. */
    QemuIdentity read() {
        Optional<Map<String, String>> settings = settings();
        Map<String, Long> users = ids(passwd);
        Map<String, Long> groups = ids(group);

        long uid = -1;
        if (settings.isPresent()) {
            String user = settings.get().get("user");
            uid = (user == null ? firstPresent(users) : resolve(user, users)).orElse(-1);
        }
        Map<String, Long> gids = new LinkedHashMap<>();
        for (String name : WELL_KNOWN_GROUPS) {
            if (groups.containsKey(name)) {
                gids.put(name, groups.get(name));
            }
        }
        settings.flatMap(conf -> groupName(conf.get("group"), groups))
                .filter(name -> Check.NAME.matcher(name).matches())
                .ifPresent(name -> gids.putIfAbsent(name, groups.get(name)));
        return new QemuIdentity(uid, gids);
    }

    /**
     * The name of the group QEMU runs as, found in {@code groups}: the configured one (by name or id) or
     * libvirt's built-in default. Empty when it is not in the file: gids are reported by name only.
     */
    private static Optional<String> groupName(String spec, Map<String, Long> groups) {
        if (spec == null) {
            return DEFAULT_ACCOUNTS.stream().filter(groups::containsKey).findFirst();
        }
        if (!spec.startsWith("+") && groups.containsKey(spec)) {
            return Optional.of(spec);
        }
        OptionalLong gid = resolve(spec, groups);
        return groups.entrySet().stream().filter(e -> gid.isPresent() && e.getValue() == gid.getAsLong())
                .map(Map.Entry::getKey).findFirst();
    }

    /** {@code user} and {@code group} from qemu.conf; empty when it exists but cannot be read (it is often root-only). */
    private Optional<Map<String, String>> settings() {
        List<String> lines;
        try {
            lines = Files.readAllLines(qemuConf, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.of(Map.of()); // no file: libvirt runs on its built-in defaults
        } catch (IOException | SecurityException e) {
            LOG.debug("QEMU's user is unknown: {} is not readable by the agent ({})", qemuConf, e.toString());
            return Optional.empty();
        }
        Map<String, String> out = new HashMap<>();
        for (String line : lines) {
            Matcher m = SETTING.matcher(line);
            if (m.matches()) {
                out.put(m.group(1), m.group(2).strip()); // the last setting wins, as in libvirt
            }
        }
        return Optional.of(out);
    }

    /** Name to id from a passwd- or group-style file (name:password:id:…); empty when unreadable. */
    private static Map<String, Long> ids(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | SecurityException e) {
            LOG.debug("{} is not readable by the agent ({}); QEMU's ids from it are unknown", file, e.toString());
            return Map.of();
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split(":", -1);
            if (fields.length < 3) {
                continue;
            }
            OptionalLong id = number(fields[2]);
            if (id.isPresent()) {
                out.putIfAbsent(fields[0], id.getAsLong()); // the first entry wins, as in getpwnam
            }
        }
        return out;
    }

    /** libvirt's rules: {@code +N} is id N, a name is looked up, and a number that names nothing is the id itself. */
    private static OptionalLong resolve(String spec, Map<String, Long> names) {
        if (spec.startsWith("+")) {
            return number(spec.substring(1));
        }
        if (names.containsKey(spec)) {
            return OptionalLong.of(names.get(spec));
        }
        return number(spec);
    }

    private static OptionalLong firstPresent(Map<String, Long> names) {
        return DEFAULT_ACCOUNTS.stream().filter(names::containsKey).mapToLong(names::get).findFirst();
    }

    private static OptionalLong number(String s) {
        if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(Character::isDigit)) {
            return OptionalLong.empty();
        }
        long v = Long.parseLong(s);
        return v <= MAX_ID ? OptionalLong.of(v) : OptionalLong.empty();
    }
}
