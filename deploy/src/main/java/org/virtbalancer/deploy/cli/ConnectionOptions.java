package org.virtbalancer.deploy.cli;

import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where Kafka is. Resolution order: {@code --bootstrap}, {@code VB_BOOTSTRAP}, the running demo's
 * address file, then {@code 127.0.0.1:9092}. {@code --kafka-config} (or {@code VB_KAFKA_CONFIG})
 * passes client properties (TLS, SASL, …) straight through to every client the command makes.
 */
public final class ConnectionOptions {
    /** Written by {@code vbal demo} so other terminals find its broker without flags. */
    public static final Path DEMO_FILE = Path.of(System.getProperty("java.io.tmpdir"), "vbal-demo.properties");

    @Option(names = {"-b", "--bootstrap"}, paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (default: $VB_BOOTSTRAP, the running demo's broker, or 127.0.0.1:9092)")
    String bootstrap;

    @Option(names = "--prefix", paramLabel = "PREFIX", description = "Topic prefix (default: $VB_TOPIC_PREFIX or vb.)")
    String prefix;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Properties file of extra Kafka client settings (security.protocol, ssl.*, sasl.*, …;"
                    + " default: $VB_KAFKA_CONFIG)")
    Path kafkaConfig;

    public KafkaSettings settings() {
        Properties demo = demoFile();
        String servers = firstOf(bootstrap, System.getenv("VB_BOOTSTRAP"), demo.getProperty("bootstrap"), "127.0.0.1:9092");
        String p = firstOf(prefix, System.getenv("VB_TOPIC_PREFIX"), demo.getProperty("prefix"), Topics.DEFAULT_PREFIX);
        Map<String, String> extra = new HashMap<>();
        String fromEnv = System.getenv("VB_KAFKA_CONFIG");
        Path kafkaConfig = this.kafkaConfig != null ? this.kafkaConfig
                : fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv.trim());
        if (kafkaConfig != null) {
            Properties props = new Properties();
            try (InputStream in = Files.newInputStream(kafkaConfig)) {
                props.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read --kafka-config " + kafkaConfig + ": " + e.getMessage(), e);
            }
            props.stringPropertyNames().forEach(k -> extra.put(k, props.getProperty(k)));
        }
        return new KafkaSettings(servers, new Topics(p), extra);
    }

    private Properties demoFile() {
        return bootstrap == null && System.getenv("VB_BOOTSTRAP") == null ? demoProperties() : new Properties();
    }

    /** What the running demo wrote about itself; empty when no demo runs. */
    static Properties demoProperties() {
        Properties props = new Properties();
        if (Files.isReadable(DEMO_FILE)) {
            try (InputStream in = Files.newInputStream(DEMO_FILE)) {
                props.load(in);
            } catch (IOException e) {
                // No demo file: fall through to the default address.
            }
        }
        return props;
    }

    static String firstOf(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        throw new IllegalStateException("unreachable: the last value is a default");
    }
}
