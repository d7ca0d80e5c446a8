package org.virtbalancer.deploy.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentCommandTest {
    private static AgentCommand parse(String... args) {
        AgentCommand command = new AgentCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void hostCountNamesSimulatedHostsFromTheFirstNumberOn() {
        assertEquals(List.of("h1001", "h1002", "h1003"),
                parse("--driver", "simulated", "--host-count", "3", "--host-prefix", "h", "--first-host-number", "1001").hostIds());
        assertEquals(List.of("a", "sim-1", "sim-2"), parse("--driver", "simulated", "--host", "a", "--host-count", "2").hostIds());
    }

    @Test
    void hostsAreNamedOnceAndHostCountIsForSimulatedHostsOnly() {
        var twice = assertThrows(IllegalArgumentException.class,
                () -> parse("--driver", "simulated", "--host", "sim-1", "--host-count", "1").hostIds());
        assertTrue(twice.getMessage().contains("named twice"), twice.getMessage());
        var libvirt = assertThrows(IllegalArgumentException.class, () -> parse("--host-count", "2").hostIds());
        assertTrue(libvirt.getMessage().contains("--driver simulated"), libvirt.getMessage());
        var none = assertThrows(IllegalArgumentException.class, () -> parse("--driver", "simulated").hostIds());
        assertTrue(none.getMessage().contains("--host"), none.getMessage());
    }

    @Test
    void overloadReadsHostAtDelay() {
        AgentCommand c = parse("--driver", "simulated", "--host-count", "20", "--host-prefix", "h", "--overload", "h17@3m");
        assertEquals(List.of(new AgentCommand.Overload("h17", Duration.ofMinutes(3))), c.overloads);
        var bad = assertThrows(CommandLine.ParameterException.class, () -> parse("--overload", "h17"));
        assertTrue(bad.getMessage().contains("HOST@DELAY"), bad.getMessage());
    }

    @Test
    void securityOptionsGiveTheKeyFileTheWindowAndTheAllowedTargetsOfListAndFile(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        var none = parse("--host", "kvm-1").security();
        assertFalse(none.signed());
        assertEquals(Set.of(), none.allowedTargets());

        Path hosts = Files.writeString(dir.resolve("hosts"), "# the cluster\nkvm-2\n\n  kvm-3  \n");
        var s = parse("--host", "kvm-1", "--signing-key-file", "/etc/vb/keys", "--signature-window", "2m",
                "--allowed-targets", "kvm-4,kvm-5", "--allowed-targets-file", hosts.toString()).security();
        assertEquals(Optional.of(Path.of("/etc/vb/keys")), s.keyFile());
        assertEquals(Duration.ofMinutes(2), s.window());
        assertEquals(Set.of("kvm-2", "kvm-3", "kvm-4", "kvm-5"), s.allowedTargets());

        Files.writeString(hosts, "kvm-2\nnot a host\n");
        var bad = assertThrows(IllegalArgumentException.class,
                () -> parse("--host", "kvm-1", "--allowed-targets-file", hosts.toString()).security());
        assertTrue(bad.getMessage().contains(hosts + " line 2: 'not a host' is not a host id"), bad.getMessage());
        Files.writeString(hosts, "# nobody\n");
        var empty = assertThrows(IllegalArgumentException.class,
                () -> parse("--host", "kvm-1", "--allowed-targets-file", hosts.toString()).security());
        assertTrue(empty.getMessage().contains("lists no host"), empty.getMessage());
    }
}
