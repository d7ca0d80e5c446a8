package org.virtbalancer.deploy.staging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One of the guide's three hosts (kvm-1, kvm-2, kvm-3) on this machine: a directory standing for its
 * root file system ({@code /opt}, {@code /etc}, {@code /usr/local/bin}, {@code /var}), and what the
 * guide's placeholders mean on it. Its commands run with its {@code /usr/local/bin} first on PATH.
 */
final class StagingHost {
    private static final String[] MAPPED = {"/opt/virt-balancer", "/etc/virt-balancer", "/etc/systemd/system",
            "/usr/local/bin", "/var/log/virt-balancer", "/var/lib/virt-balancer"};

    private final String name;
    private final Path root;
    private final Placeholders placeholders;
    private final Map<String, String> environment = new LinkedHashMap<>();

    /** @param placeholders what the guide's names and addresses mean for this host (paths are added here) */
    StagingHost(String name, Path root, Placeholders placeholders) {
        this.name = name;
        this.root = root;
        Placeholders paths = new Placeholders();
        for (String p : MAPPED) {
            paths.put(p, root + p);
        }
        this.placeholders = placeholders.with(paths);
        try {
            for (String p : new String[]{"/opt", "/etc/systemd/system", "/usr/local/bin", "/var/log/virt-balancer",
                    "/var/lib/virt-balancer"}) {
                Files.createDirectories(Path.of(root + p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        environment.put("PATH", root + "/usr/local/bin:" + Path.of(System.getProperty("java.home"), "bin") + ":"
                + System.getenv("PATH"));
        environment.put("JAVA_HOME", System.getProperty("java.home"));
        environment.put("TMPDIR", Path.of(root + "/tmp").toString());
        try {
            Files.createDirectories(Path.of(root + "/tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String name() {
        return name;
    }

    /** An absolute path of the host (e.g. /etc/virt-balancer/agent.conf) as it is here. */
    Path path(String absolute) {
        return Path.of(substitute(absolute));
    }

    /** The guide's text with this host's meaning of its placeholders. */
    String substitute(String text) {
        return placeholders.apply(text);
    }

    /** Variables every command and service of the host gets (PATH, JAVA_HOME, and e.g. VB_API). */
    Map<String, String> environment() {
        return environment;
    }

    void setEnvironment(String key, String value) {
        environment.put(key, value);
    }
}
