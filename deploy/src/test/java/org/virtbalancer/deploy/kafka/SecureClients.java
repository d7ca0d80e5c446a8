package org.virtbalancer.deploy.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Kafka client settings for a secure broker or cluster ({@link SecureKafka}, {@link SecureKafkaCluster}) whose
 * certificates {@code ca} signs: mTLS, TLS without a certificate, SASL_SSL with SCRAM-SHA-512 or PLAIN, and
 * any of them written as a properties file for {@code --kafka-config} and {@code --command-config}.
 */
public final class SecureClients {
    private final TestCertificates ca;
    private final Path dir;

    /** Files (stores, properties) go to {@code dir}. */
    public SecureClients(TestCertificates ca, Path dir) {
        this.ca = ca;
        this.dir = dir;
    }

    TestCertificates authority() {
        return ca;
    }

    /** mTLS with a certificate for {@code cn} signed by the broker's CA. */
    public Map<String, String> mutualTls(String cn) throws Exception {
        Map<String, String> c = tls();
        c.put("ssl.keystore.type", "PKCS12");
        c.put("ssl.keystore.location", ca.keystore(cn).toString());
        c.put("ssl.keystore.password", TestCertificates.PASSWORD);
        c.put("ssl.key.password", TestCertificates.PASSWORD);
        return c;
    }

    /** mTLS with a certificate for {@code cn} from a CA the broker does not trust. */
    public Map<String, String> mutualTlsFromAnotherCa(String cn) throws Exception {
        Map<String, String> c = tls();
        c.put("ssl.keystore.type", "PKCS12");
        c.put("ssl.keystore.location", TestCertificates.authority("stranger-ca", dir).keystore(cn).toString());
        c.put("ssl.keystore.password", TestCertificates.PASSWORD);
        c.put("ssl.key.password", TestCertificates.PASSWORD);
        return c;
    }

    /** SASL_SSL with SCRAM-SHA-512. */
    public Map<String, String> scram(String user, String password) throws Exception {
        Map<String, String> c = tls();
        c.put("security.protocol", "SASL_SSL");
        c.put("sasl.mechanism", "SCRAM-SHA-512");
        c.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user + "\" password=\"" + password + "\";");
        return c;
    }

    /** SASL_SSL with PLAIN. */
    public Map<String, String> plain(String user, String password) throws Exception {
        Map<String, String> c = tls();
        c.put("security.protocol", "SASL_SSL");
        c.put("sasl.mechanism", "PLAIN");
        c.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + user + "\" password=\"" + password + "\";");
        return c;
    }

    /** TLS that trusts the broker, without a certificate of its own. */
    public Map<String, String> tls() throws Exception {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("security.protocol", "SSL");
        c.put("ssl.truststore.type", "PKCS12");
        c.put("ssl.truststore.location", ca.truststore().toString());
        c.put("ssl.truststore.password", TestCertificates.PASSWORD);
        return c;
    }

    /** {@code settings} as {@code dir/NAME.properties}. */
    public Path file(String name, Map<String, String> settings) {
        Properties props = new Properties();
        props.putAll(settings);
        Path file = dir.resolve(name + ".properties");
        try (OutputStream out = Files.newOutputStream(file)) {
            props.store(out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
