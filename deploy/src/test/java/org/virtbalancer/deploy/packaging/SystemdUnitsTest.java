package org.virtbalancer.deploy.packaging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.deploy.cli.Vbal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The service units and sysusers files of deploy/systemd, checked by systemd's own tools. */
class SystemdUnitsTest {
    private static final String LAUNCHER = "/opt/virt-balancer/bin/vbal";
    private static final List<String> UNITS = List.of("virt-balancer-agent.service", "virt-balancer-balancer.service");

    /** The value of {@code key=} in {@code unit}; fails when it is not there exactly once. */
    private static String directive(String unit, String key) {
        List<String> values = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(key) + "=(.*)$").matcher(unit);
        while (m.find()) {
            values.add(m.group(1).trim());
        }
        assertEquals(1, values.size(), key + "= in the unit: " + values);
        return values.get(0);
    }

    /** The units with ExecStart pointing at an executable stub in {@code dir}, as systemd-analyze needs one. */
    private static List<String> unitsWithStub(Path dir) throws IOException {
        Path stub = dir.resolve("vbal");
        Files.writeString(stub, "#!/bin/sh\n");
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> paths = new ArrayList<>();
        for (String name : UNITS) {
            String unit = Checkout.read(Checkout.deploy("systemd/" + name));
            assertTrue(unit.contains("ExecStart=" + LAUNCHER + " "), name + " runs the installed launcher");
            Path copy = dir.resolve(name);
            Files.writeString(copy, unit.replace(LAUNCHER, stub.toString()));
            paths.add(copy.toString());
        }
        return paths;
    }

    @Test
    void unitsPassSystemdAnalyzeVerifyWithoutAWarning(@TempDir Path dir) throws IOException {
        assumeTrue(Checkout.onPath("systemd-analyze"), "systemd-analyze is not installed");
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
        command.addAll(unitsWithStub(dir));
        Checkout.Result verify = Checkout.run(command, 60);
        // verify only warns (exit 0) about unknown keys and bad values: no output is the pass.
        assertEquals(0, verify.exit(), verify.output());
        assertEquals("", verify.output().strip());
    }

    @Test
    void hardeningKeepsBothUnitsExposureLow(@TempDir Path dir) throws IOException {
        assumeTrue(Checkout.onPath("systemd-analyze"), "systemd-analyze is not installed");
        for (String unit : unitsWithStub(dir)) {
            Checkout.Result security = Checkout.run(List.of("systemd-analyze", "security", "--offline=true", unit), 60);
            Matcher level = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d+)").matcher(security.output());
            assertTrue(level.find(), security.output());
            double exposure = Double.parseDouble(level.group(1));
            // 0 is fully confined, 10 not at all; 1.7-1.8 when written. Above 3 means hardening was dropped.
            assertTrue(exposure <= 3.0, unit + " exposure " + exposure + ":\n" + security.output());
        }
    }

    @Test
    void unitsRunTheCommandsWithTheirConfigStateAndEnvironmentFiles() {
        for (String service : List.of("agent", "balancer")) {
            String unit = Checkout.read(Checkout.deploy("systemd/virt-balancer-" + service + ".service"));
            assertEquals(LAUNCHER + " " + service + " --config " + Vbal.CONFIG_DIR.resolve(service + ".conf"),
                    directive(unit, "ExecStart"));
            assertEquals("-" + Vbal.CONFIG_DIR.resolve(service + ".env"), directive(unit, "EnvironmentFile"));
            assertEquals("on-failure", directive(unit, "Restart"));
            assertEquals("virt-balancer", directive(unit, "User"));
            assertEquals("network-online.target", directive(unit, "Wants"));
            assertTrue(directive(unit, "After").contains("network-online.target"));
            for (String hardening : List.of("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes")) {
                String[] kv = hardening.split("=");
                assertEquals(kv[1], directive(unit, kv[0]), service + " " + kv[0]);
            }
        }
        String agent = Checkout.read(Checkout.deploy("systemd/virt-balancer-agent.service"));
        assertEquals("libvirt", directive(agent, "SupplementaryGroups"));
        assertTrue(directive(agent, "After").contains("libvirtd.service"));
        // ProtectSystem=strict leaves only the StateDirectory writable: it must be the agent's --state-dir.
        Path stateDir = Path.of("/var/lib").resolve(directive(agent, "StateDirectory"));
        Object defaultStateDir = Vbal.commandLine(java.util.Map.of(), Path.of("/nonexistent")).getSubcommands().get("agent")
                .getCommandSpec().findOption("--state-dir").initialValue();
        assertEquals(defaultStateDir, stateDir);
    }

    @Test
    void sysusersFilesCreateTheUserInTheLibvirtGroup(@TempDir Path root) throws IOException {
        assumeTrue(Checkout.onPath("systemd-sysusers"), "systemd-sysusers is not installed");
        Files.createDirectories(root.resolve("etc"));
        Checkout.Result made = Checkout.run(List.of("systemd-sysusers", "--root=" + root,
                Checkout.deploy("systemd/virt-balancer.sysusers").toString(),
                Checkout.deploy("systemd/virt-balancer-agent.sysusers").toString()), 60);
        assertEquals(0, made.exit(), made.output());
        assertTrue(Files.readString(root.resolve("etc/passwd")).lines()
                .anyMatch(l -> l.startsWith("virt-balancer:x:") && l.endsWith(":/usr/sbin/nologin")), made.output());
        assertTrue(Files.readString(root.resolve("etc/group")).lines()
                .anyMatch(l -> l.startsWith("libvirt:x:") && l.endsWith(":virt-balancer")), made.output());
    }
}
