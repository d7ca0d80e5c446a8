package org.virtbalancer.deploy.kafka;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A real single-node KRaft broker set up as a production cluster would be: a TLS listener that
 * wants a client certificate (mTLS; the principal is the certificate's CN), a SASL_SSL listener
 * taking SCRAM-SHA-512 and PLAIN, and the KRaft authorizer, so that nobody but the super user
 * {@code User:admin} may do anything ACLs do not allow. Its CA, server and client certificates are
 * made here ({@link TestCertificates}); its SCRAM users are written when the storage is formatted,
 * as {@code kafka-storage format --add-scram} does. The PLAINTEXT listener stands for the broker's
 * own internal one (its principal, {@code User:ANONYMOUS}, is a super user): no client here uses it.
 */
public final class SecureKafka implements AutoCloseable {
    /** SCRAM-SHA-512 users: the test's super user, the balancers, and a password for each. */
    public static final Map<String, String> SCRAM_USERS = Map.of("admin", "admin-secret", "balancer", "balancer-secret");
    /** SASL/PLAIN users, from the broker's JAAS configuration. */
    public static final Map<String, String> PLAIN_USERS = Map.of("operator", "operator-secret");

    private final EmbeddedKafka broker;
    private final SecureClients clients;
    private final int sslPort;
    private final int saslPort;

    private SecureKafka(EmbeddedKafka broker, SecureClients clients, int sslPort, int saslPort) {
        this.broker = broker;
        this.clients = clients;
        this.sslPort = sslPort;
        this.saslPort = saslPort;
    }

    /** Makes the certificates in {@code dir} and starts the broker with its log there too. */
    public static SecureKafka start(Path dir) throws Exception {
        SecureClients clients = new SecureClients(TestCertificates.authority("vb-test-ca", dir), dir);
        int plainPort = KraftConfig.freePort();
        int sslPort = KraftConfig.freePort();
        int saslPort = KraftConfig.freePort();
        int controllerPort = KraftConfig.freePort();
        Path logDir = dir.resolve("kafka-log");
        Properties p = KraftConfig.properties(logDir, plainPort, controllerPort);
        secure(p, clients.authority(), plainPort, sslPort, saslPort, controllerPort);
        EmbeddedKafka broker = EmbeddedKafka.start(logDir, true, plainPort, p, scramFormatArgs().toArray(String[]::new));
        return new SecureKafka(broker, clients, sslPort, saslPort);
    }

    /**
     * Turns a node's settings ({@link KraftConfig}) into a secure node's: the TLS listener wanting a client
     * certificate, the SASL_SSL listener (SCRAM-SHA-512 and the {@link #PLAIN_USERS}), the authorizer and
     * the super users; its server certificate is signed by {@code ca}. {@link SecureKafkaCluster} makes its
     * nodes with it too.
     */
    static void secure(Properties p, TestCertificates ca, int plainPort, int sslPort, int saslPort, int controllerPort)
            throws Exception {
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + plainPort + ",SSL://127.0.0.1:" + sslPort + ",SASL_SSL://127.0.0.1:"
                + saslPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + plainPort + ",SSL://127.0.0.1:" + sslPort
                + ",SASL_SSL://127.0.0.1:" + saslPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.keystore.location", ca.keystore("localhost").toString());
        p.put("ssl.keystore.password", TestCertificates.PASSWORD);
        p.put("ssl.key.password", TestCertificates.PASSWORD);
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.location", ca.truststore().toString());
        p.put("ssl.truststore.password", TestCertificates.PASSWORD);
        p.put("listener.name.ssl.ssl.client.auth", "required");
        p.put("listener.name.sasl_ssl.ssl.client.auth", "none");
        // CN=agent-kvm-07 becomes User:agent-kvm-07, the name kafka-acls-virt-balancer gives agents.
        p.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+)$/$1/,DEFAULT");
        p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        PLAIN_USERS.forEach((user, password) -> plain.append(" user_").append(user).append("=\"").append(password).append('"'));
        p.put("listener.name.sasl_ssl.plain.sasl.jaas.config", plain.append(';').toString());
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:admin;User:ANONYMOUS");
    }

    /** The {@code kafka-storage format} arguments that add the {@link #SCRAM_USERS}. */
    static List<String> scramFormatArgs() {
        return SCRAM_USERS.entrySet().stream()
                .flatMap(u -> Stream.of("--add-scram", "SCRAM-SHA-512=[name=" + u.getKey() + ",password=" + u.getValue() + "]"))
                .toList();
    }

    /** The TLS listener, which wants a client certificate. */
    public String sslBootstrap() {
        return "127.0.0.1:" + sslPort;
    }

    /** The SASL_SSL listener (SCRAM-SHA-512 and PLAIN). */
    public String saslBootstrap() {
        return "127.0.0.1:" + saslPort;
    }

    /** Client settings for mTLS with a certificate for {@code cn} signed by the broker's CA. */
    public Map<String, String> mutualTls(String cn) throws Exception {
        return clients.mutualTls(cn);
    }

    /** Client settings for TLS that trust the broker but have no certificate of their own. */
    public Map<String, String> tlsWithoutCertificate() throws Exception {
        return clients.tls();
    }

    /** Client settings for mTLS with a certificate for {@code cn} from a CA the broker does not trust. */
    public Map<String, String> mutualTlsFromAnotherCa(String cn) throws Exception {
        return clients.mutualTlsFromAnotherCa(cn);
    }

    /** Client settings for SASL_SSL with SCRAM-SHA-512. */
    public Map<String, String> scram(String user, String password) throws Exception {
        return clients.scram(user, password);
    }

    /** Client settings for SASL_SSL with PLAIN. */
    public Map<String, String> plain(String user, String password) throws Exception {
        return clients.plain(user, password);
    }

    /** {@code settings} as a properties file, for {@code --kafka-config} and {@code --command-config}. */
    public Path file(String name, Map<String, String> settings) {
        return clients.file(name, settings);
    }

    @Override
    public void close() {
        broker.close();
    }
}
