package org.virtbalancer.deploy.libvirt;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two real libvirt hosts on this machine (deploy/testbed/two-hosts.sh): started once per test
 * JVM, torn down when JUnit finishes. Needs root; without it the tests that use it are reported
 * as not run, with the reason.
 */
public final class LibvirtTestbed {
    /** Host ids the agents use, and the test bed's names for them. */
    public static final String HOST_A = "lv-a";
    public static final String HOST_B = "lv-b";
    private static final String WHY_NOT = "the real-libvirt tests need root (network namespaces and two libvirtd"
            + " daemons, see deploy/testbed/two-hosts.sh) and the packages deploy/bin/install-prerequisites installs;";
    /** Name of the shared-storage pool both hosts have once {@link #sharedStorage()} returned. */
    public static final String SHARED_POOL = "shared";
    private static LibvirtTestbed started;
    private static String failure;

    private final Path root;
    private final Path script;
    // guarded by LibvirtTestbed.class
    private boolean storageUp;
    private String storageFailure;

    private LibvirtTestbed(Path root, Path script) {
        this.root = root;
        this.script = script;
    }

    /**
     * {@code @ExtendWith(LibvirtTestbed.Resolver.class)}: injects the started test bed into test
     * methods, and reports the tests as not run, with the reason, where the test bed cannot run.
     */
    public static final class Resolver implements ParameterResolver, ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext e) {
            String missing = whyNot();
            return missing == null ? ConditionEvaluationResult.enabled("root and libvirtd available")
                    : ConditionEvaluationResult.disabled(WHY_NOT + " " + missing + ", so they did not run");
        }

        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
            return p.getParameter().getType() == LibvirtTestbed.class;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext e) {
            return get(e);
        }
    }

    /** Why the test bed cannot run here, or null when it can. */
    static String whyNot() {
        if (!"root".equals(System.getProperty("user.name"))) return "this run is not root";
        if (!Files.isExecutable(Path.of("/usr/sbin/libvirtd"))) return "libvirtd is not installed";
        return null;
    }

    static synchronized LibvirtTestbed get(ExtensionContext context) {
        if (whyNot() != null) {
            throw new IllegalStateException(WHY_NOT + " " + whyNot());
        }
        if (failure != null) {
            throw new IllegalStateException("the libvirt test bed failed to start: " + failure);
        }
        if (started == null) {
            try {
                Path script = findScript();
                Path dir = Files.createTempDirectory("vb-testbed-");
                LibvirtTestbed bed = new LibvirtTestbed(dir, script);
                bed.run("down");
                String out = bed.run("up");
                if (!out.contains("host B:")) {
                    throw new IllegalStateException(out);
                }
                started = bed;
                // two-hosts.sh down also stops the shared storage, if a test started it.
                context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).put("vb-libvirt-testbed",
                        (AutoCloseable) () -> {
                            synchronized (LibvirtTestbed.class) {
                                bed.run("down");
                                started = null;
                            }
                        });
            } catch (RuntimeException | IOException e) {
                failure = e.getMessage();
                throw new IllegalStateException("the libvirt test bed failed to start: " + e.getMessage(), e);
            }
        }
        return started;
    }

    private static Path findScript() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path s = dir.resolve("deploy/testbed/two-hosts.sh");
            if (Files.isExecutable(s)) return s;
            Path t = dir.resolve("testbed/two-hosts.sh");
            if (Files.isExecutable(t)) return t;
        }
        throw new IllegalStateException("deploy/testbed/two-hosts.sh not found from " + Path.of("").toAbsolutePath());
    }

    /** Runs the test bed script; returns its output, fails on a non-zero exit. */
    String run(String command) {
        return exec(List.of(script.toString(), command));
    }

    /** Stops one host's libvirtd; its guests keep running, as on a real host whose daemon stops. */
    public void stopDaemon(String host) {
        exec(List.of(script.toString(), "stop-daemon", letter(host)));
    }

    /** Starts one host's libvirtd again (if it is not running) and waits until it answers. */
    public void startDaemon(String host) {
        try {
            virsh(host, "hostname");
        } catch (IllegalStateException notRunning) {
            exec(List.of(script.toString(), "start-daemon", letter(host)));
        }
    }

    /**
     * Real shared storage, as the migration guide's §17.5 prepares it (deploy/testbed/shared-storage.sh):
     * a GlusterFS server in a third namespace and an active {@code netfs} pool {@value #SHARED_POOL},
     * defined alike on both hosts at {@code /var/lib/libvirt/images/shared}, which libvirt counts as
     * shared. Started by the first test that asks (about 2 s), kept for the rest of the run (clean
     * only empties it) and stopped with the test bed. Also starts the pool again on a host where a
     * test destroyed it.
     */
    public void sharedStorage() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/glusterd")), "the test bed's shared storage needs"
                + " GlusterFS (glusterfs-server, glusterfs-client; deploy/bin/install-prerequisites installs them as root),"
                + " so this test did not run");
        synchronized (LibvirtTestbed.class) {
            if (storageFailure != null) {
                throw new IllegalStateException("the test bed's shared storage failed to start: " + storageFailure);
            }
            try {
                if (!storageUp) {
                    exec(List.of(storageScript().toString(), "up"));
                    storageUp = true;
                } else if (!poolActive(HOST_A) || !poolActive(HOST_B)) {
                    exec(List.of(storageScript().toString(), "pools"));
                }
            } catch (RuntimeException e) {
                storageFailure = e.getMessage();
                throw new IllegalStateException("the test bed's shared storage failed to start: " + e.getMessage(), e);
            }
        }
    }

    private boolean poolActive(String host) {
        try {
            return virsh(host, "pool-info", SHARED_POOL).lines().anyMatch(l -> l.matches("State:\\s+running"));
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private Path storageScript() {
        return script.resolveSibling("shared-storage.sh");
    }

    private String exec(List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("ROOT", root.toString());
            pb.environment().put("NS", namespacePrefix(System.getenv("VB_TESTBED_NS"), System.getProperty("vb.fork")));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 120 s: " + out);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The test bed's namespace prefix ({@code NS} of the scripts): VB_TESTBED_NS, or {@code vbt}, so that another
     * checkout testing at the same time does not clash; with Surefire's fork number (the system property
     * {@code vb.fork}, 1, 2, …) a letter for the fork, since each test JVM starts its own test bed.
     */
    static String namespacePrefix(String fromEnvironment, String fork) {
        String base = fromEnvironment != null && fromEnvironment.matches("[a-z]{1,7}") ? fromEnvironment : "vbt";
        if (fork == null || !fork.matches("[1-9]")) {
            return base;
        }
        return base + (char) ('a' + Integer.parseInt(fork) - 1);
    }

    /** libvirt URI of host A or B (the agent's own and, for peer-to-peer, its peers'). */
    public String uri(String host) {
        return "qemu+unix:///system?socket=" + root.resolve("hosts").resolve(letter(host)).resolve("run/libvirt-sock");
    }

    /** Migration address of the host, inside its network namespace. */
    public String migrationAddress(String host) {
        return letter(host).equals("A") ? "10.77.0.1" : "10.77.0.2";
    }

    /** A path both hosts see: shared storage. */
    public Path shared() {
        return root.resolve("shared");
    }

    /** Where the shared pool's volumes are, as both hosts (and their guests' XML) name them. */
    public String sharedPoolPath() {
        return "/var/lib/libvirt/images/" + SHARED_POOL;
    }

    /** A host's private /var/lib/libvirt/images. */
    public Path privateImages(String host) {
        return root.resolve("hosts").resolve(letter(host)).resolve("lib/images");
    }

    /** Destroys and undefines every guest and pool on both hosts, but the shared pool, which only loses its volumes. */
    public void clean() {
        run("clean");
    }

    /** {@code virsh -c <host> args…}; returns stdout, fails on a non-zero exit. */
    public String virsh(String host, String... args) {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", uri(host)));
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    /** {@code virsh domstate}, or "absent" when the host has no such guest. */
    public String state(String host, String guest) {
        try {
            return virsh(host, "domstate", guest).trim();
        } catch (IllegalStateException e) {
            return "absent";
        }
    }

    /** Whether the guest's definition is persistent on the host. */
    public boolean persistent(String host, String guest) {
        return virsh(host, "dominfo", guest).lines().anyMatch(l -> l.matches("Persistent:\\s+yes"));
    }

    /** Defines (and with {@code start}, starts) a guest from XML on a host. */
    public void define(String host, String xml, boolean start) {
        try {
            Path f = Files.createTempFile(root, "dom-", ".xml");
            Files.writeString(f, xml);
            virsh(host, "define", f.toString());
            if (start) {
                virsh(host, "start", xml.replaceAll("(?s).*<name>([^<]+)</name>.*", "$1"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A tiny software-emulated guest: 64 MiB, one vCPU, a read-only 1 MiB boot disk on shared
     * storage running {@code counter} (prints a count to its serial log) or {@code dirty}
     * (rewrites 48 MiB of memory in a loop), plus {@code extraDevices}.
     */
    public String guestXml(String name, String program, String extraDevices) {
        return """
                <domain type='qemu'>
                  <name>%1$s</name>
                  <memory unit='MiB'>64</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
                  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
                  <devices>
                    <emulator>/usr/bin/qemu-system-x86_64</emulator>
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='raw'/><source file='%2$s/%3$s.img'/><target dev='vda' bus='virtio'/><readonly/>
                    </disk>
                    %4$s
                    <serial type='file'><source path='%2$s/%1$s.serial.log' append='on'/><target port='0'/></serial>
                    <controller type='usb' model='none'/>
                    <memballoon model='none'/>
                  </devices>
                </domain>
                """.formatted(name, shared(), program, extraDevices);
    }

    /** The guest's serial output so far. */
    public String serial(String guest) {
        try {
            Path log = shared().resolve(guest + ".serial.log");
            return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How often the guest program started (its first count printed): 1 means it never restarted. */
    public long starts(String guest, String program) {
        // counter prints every count; dirty prints every 16th round, so its first line is 0x10.
        String first = program + (program.equals("dirty") ? " 00000010" : " 00000001");
        return serial(guest).lines().filter(l -> l.contains(first)).count();
    }

    /** The last count the guest printed, or 0. */
    public long lastCount(String guest, String program) {
        List<String> counts = serial(guest).lines().filter(l -> l.contains(program + " ")).toList();
        if (counts.isEmpty()) return 0;
        String last = counts.get(counts.size() - 1).replaceAll(".*" + program + " ([0-9A-Fa-f]{8}).*", "$1");
        try {
            return Long.parseLong(last, 16);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String letter(String host) {
        return switch (host) {
            case HOST_A, "A" -> "A";
            case HOST_B, "B" -> "B";
            default -> throw new IllegalArgumentException("the test bed has hosts " + HOST_A + " and " + HOST_B + ", not " + host);
        };
    }
}
