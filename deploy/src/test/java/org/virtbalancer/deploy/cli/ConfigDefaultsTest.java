package org.virtbalancer.deploy.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Options of {@code vbal agent} and {@code vbal balancer} from the command line, the environment
 * (injected, not the process's) and config files, in that order of precedence.
 */
class ConfigDefaultsTest {
    @TempDir Path dir;

    /** An empty /etc/virt-balancer stand-in unless a test writes one there. */
    private Path etc() throws IOException {
        return Files.createDirectories(dir.resolve("etc"));
    }

    private Path file(String name, String... lines) throws IOException {
        return Files.write(dir.resolve(name), List.of(lines));
    }

    private <T> T parse(Class<T> type, Map<String, String> env, String... args) throws IOException {
        CommandLine.ParseResult result = Vbal.commandLine(env, etc()).parseArgs(args);
        return type.cast(result.subcommand().commandSpec().userObject());
    }

    record Run(int exit, String out, String err) {}

    private Run vbal(Map<String, String> env, String... args) throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Vbal.commandLine(env, etc());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void commandLineBeatsEnvironmentWhichBeatsTheFileWhichBeatsTheDefault() throws IOException {
        Path conf = file("balancer.conf", "id = from-file", "high = 0.9", "low = 0.6", "tick = 5s");
        BalancerCommand b = parse(BalancerCommand.class, Map.of("VB_ID", "from-env", "VB_HIGH", "0.95"),
                "balancer", "--config", conf.toString(), "--id", "from-cli");
        assertEquals("from-cli", b.id);
        assertEquals(0.95, b.high);
        assertEquals(0.6, b.low);
        assertEquals(Duration.ofSeconds(5), b.tick);
        assertEquals(0.9, b.memoryWatermark, "not set anywhere: the built-in default");
        assertEquals(8484, b.httpPort);
    }

    @Test
    void theStandardFileIsReadWhenPresentAndVbConfigNamesAnother() throws IOException {
        Files.write(etc().resolve("agent.conf"), List.of("host = kvm-07", "interval = 30s"));
        AgentCommand standard = parse(AgentCommand.class, Map.of(), "agent");
        assertEquals(List.of("kvm-07"), standard.hosts);
        assertEquals(Duration.ofSeconds(30), standard.interval);

        Path other = file("other.conf", "host = kvm-08");
        AgentCommand viaEnv = parse(AgentCommand.class, Map.of("VB_CONFIG", other.toString()), "agent");
        assertEquals(List.of("kvm-08"), viaEnv.hosts);
        assertEquals(Duration.ofSeconds(10), viaEnv.interval, "only the named file is read");
    }

    @Test
    void listsFlagsPathsAndEnumsComeFromTheFileAsFromTheCommandLine() throws IOException {
        Path conf = file("agent.conf", "# a comment", "host = sim-a,sim-b", "driver = simulated",
                "state-dir = /srv/vb", "overload = sim-a@3m", "link-mibps = 800", "peer-uri =");
        AgentCommand a = parse(AgentCommand.class, Map.of(), "agent", "--config", conf.toString());
        assertEquals(List.of("sim-a", "sim-b"), a.hostIds());
        assertEquals(AgentCommand.Driver.simulated, a.driver);
        assertEquals(Path.of("/srv/vb"), a.stateDir);
        assertEquals(List.of(new AgentCommand.Overload("sim-a", Duration.ofMinutes(3))), a.overloads);
        assertEquals(800, a.linkMiBps);
        assertEquals(null, a.peerUri, "an empty value is the built-in default");

        Path balancer = file("balancer.conf", "balancing-fallbacks = post-copy,pause", "no-spike-relief = true",
                "members = 10.0.0.1:5701,10.0.0.2:5701", "forecast-window = 2h");
        BalancerCommand b = parse(BalancerCommand.class, Map.of(), "balancer", "--config", balancer.toString());
        assertEquals(List.of("post-copy", "pause"), b.fallbacks);
        assertTrue(b.noSpikeRelief);
        assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701"), b.members);
        assertEquals(Duration.ofHours(2), b.forecastWindow);
    }

    @Test
    void kafkaSettingsComeFromTheFileAndTheOldPrefixVariableStillWins() throws IOException {
        Path conf = file("agent.conf", "bootstrap = kafka-1:9092", "prefix = file.");
        AgentCommand fromFile = parse(AgentCommand.class, Map.of(), "agent", "--config", conf.toString());
        assertEquals("kafka-1:9092", fromFile.connection.settings().bootstrapServers());
        assertEquals("file.", fromFile.connection.settings().topics().prefix());

        AgentCommand fromEnv = parse(AgentCommand.class, Map.of("VB_TOPIC_PREFIX", "env.", "VB_BOOTSTRAP", "kafka-2:9092"),
                "agent", "--config", conf.toString());
        assertEquals("env.", fromEnv.connection.prefix);
        assertEquals("kafka-2:9092", fromEnv.connection.bootstrap);
        AgentCommand newName = parse(AgentCommand.class, Map.of("VB_PREFIX", "new.", "VB_TOPIC_PREFIX", "old."), "agent");
        assertEquals("new.", newName.connection.prefix);
    }

    @Test
    void anUnknownKeyNamesTheFileTheKeyAndTheNearestKnownOne() throws IOException {
        Path conf = file("balancer.conf", "high = 0.9", "hihg = 0.9");
        Run run = vbal(Map.of(), "balancer", "--config", conf.toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("error: " + conf + ": unknown key 'hihg' (did you mean 'high'?); correct or remove"
                + " it. Known keys: api-token-file, balancing-fallbacks, bootstrap, "), run.err());
        assertOneSentence(run.err());
    }

    @Test
    void aBadValueNamesWhereItCameFrom() throws IOException {
        Path conf = file("balancer.conf", "high = abc");
        Run fromFile = vbal(Map.of(), "balancer", "--config", conf.toString());
        assertEquals(2, fromFile.exit());
        assertEquals("error: " + conf + ": key 'high': 'abc' is not a double; correct it, or remove the line to use the"
                + " built-in default\n", fromFile.err());

        Run fromEnv = vbal(Map.of("VB_TICK", "soon"), "balancer");
        assertEquals(2, fromEnv.exit());
        assertTrue(fromEnv.err().startsWith("error: environment variable VB_TICK: 'soon' is not a duration: write it like"),
                fromEnv.err());
        assertTrue(fromEnv.err().contains("; correct it, or unset it to use the built-in default"), fromEnv.err());

        Run enumValue = vbal(Map.of(), "agent", "--config", file("agent.conf", "driver = xen").toString());
        assertEquals(2, enumValue.exit());
        assertTrue(enumValue.err().startsWith("error: " + dir.resolve("agent.conf") + ": key 'driver': expected one of"),
                enumValue.err());
        assertOneSentence(enumValue.err());
    }

    @Test
    void aValueTheCommandRejectsLaterStillSaysWhereItCameFrom() throws IOException {
        Path conf = file("balancer.conf", "high = 0.6", "low = 0.7");
        Run run = vbal(Map.of(), "balancer", "--config", conf.toString());
        assertEquals(1, run.exit());
        assertTrue(run.err().startsWith("error: watermarks must satisfy 0 < --low < --high <= 2; got low 0.7, high 0.6"
                + " (--high is from " + conf + ": key 'high'; --low is from " + conf + ": key 'low')"), run.err());
    }

    @Test
    void aMissingConfigFileGivenByNameIsAnError() throws IOException {
        Path missing = dir.resolve("nope.conf");
        Run run = vbal(Map.of(), "agent", "--config", missing.toString());
        assertEquals(2, run.exit());
        assertEquals("error: cannot read config file " + missing + " (no such file): pass a readable file of KEY = VALUE"
                + " lines to --config, or none\n", run.err());
        Run viaEnv = vbal(Map.of("VB_CONFIG", missing.toString()), "agent");
        assertEquals(2, viaEnv.exit());
    }

    @Test
    void helpShowsTheConfigOptionAndDefaultsFromTheFile() throws IOException {
        Path conf = file("balancer.conf", "high = 0.8");
        Run run = vbal(Map.of(), "balancer", "--config", conf.toString(), "--help");
        assertEquals(0, run.exit());
        assertTrue(run.out().contains("--config=FILE"), run.out());
        assertTrue(run.out().contains("High watermark, normalised load (default: 0.8)"), run.out());
        assertTrue(run.out().contains("VB_<OPTION>"), run.out());
    }

    private static void assertOneSentence(String err) {
        assertEquals(1, err.lines().count(), err);
        assertFalse(err.contains("Usage:") || err.contains("\tat "), err);
    }
}
