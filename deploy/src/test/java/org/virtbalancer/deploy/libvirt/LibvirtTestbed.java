package org.virtbalancer.deploy.libvirt;

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
    private static LibvirtTestbed started;
    private static String failure;

    private final Path root;
    private final Path script;

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

    private String exec(List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("ROOT", root.toString());
            // Another checkout testing at the same time sets VB_TESTBED_NS so the namespaces do not clash.
            String ns = System.getenv("VB_TESTBED_NS");
            if (ns != null && ns.matches("[a-z]{1,8}")) {
                pb.environment().put("NS", ns);
            }
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

    /** A host's private /var/lib/libvirt/images. */
    public Path privateImages(String host) {
        return root.resolve("hosts").resolve(letter(host)).resolve("lib/images");
    }

    /** Destroys and undefines every guest and pool on both hosts. */
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
