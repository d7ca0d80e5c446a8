package org.virtbalancer.deploy.kafka;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * A {@link KafkaCluster} of real KRaft nodes set up as {@link SecureKafka} sets up its single broker: on
 * every node a TLS listener wanting a client certificate (agents), a SASL_SSL listener (SCRAM-SHA-512
 * for the balancers and the admin, PLAIN for operators) and the KRaft authorizer. The PLAINTEXT listener
 * (super user {@code User:ANONYMOUS}) stands for the brokers' internal one: the cluster uses it between
 * nodes and for readiness; no client of the test does.
 */
public final class SecureKafkaCluster implements AutoCloseable {
    private final KafkaCluster cluster;
    private final SecureClients clients;
    private final Map<Integer, Integer> sslPorts;
    private final Map<Integer, Integer> saslPorts;

    private SecureKafkaCluster(KafkaCluster cluster, SecureClients clients, Map<Integer, Integer> sslPorts,
                               Map<Integer, Integer> saslPorts) {
        this.cluster = cluster;
        this.clients = clients;
        this.sslPorts = sslPorts;
        this.saslPorts = saslPorts;
    }

    /** Makes the CA and the cluster's {@code nodes} in {@code dir}; starts nothing ({@link #startAll()}). */
    public static SecureKafkaCluster create(Path dir, int nodes) throws Exception {
        SecureClients clients = new SecureClients(TestCertificates.authority("vb-staging-ca", dir), dir);
        Map<Integer, Integer> ssl = new LinkedHashMap<>();
        Map<Integer, Integer> sasl = new LinkedHashMap<>();
        KafkaCluster cluster = KafkaCluster.create(dir, nodes,
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                ChildKafka.DEFAULT_JVM_OPTIONS, (id, props) -> {
                    ssl.put(id, KraftConfig.freePort());
                    sasl.put(id, KraftConfig.freePort());
                    try {
                        SecureKafka.secure(props, clients.authority(), port(props, "PLAINTEXT"), ssl.get(id), sasl.get(id),
                                port(props, "CONTROLLER"));
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot make node " + id + "'s certificates", e);
                    }
                }, SecureKafka.scramFormatArgs());
        return new SecureKafkaCluster(cluster, clients, ssl, sasl);
    }

    private static int port(Properties props, String listener) {
        for (String l : props.getProperty("listeners").split(",")) {
            if (l.startsWith(listener + "://")) {
                return Integer.parseInt(l.substring(l.lastIndexOf(':') + 1));
            }
        }
        throw new IllegalStateException("no " + listener + " listener in " + props.getProperty("listeners"));
    }

    /** Starts every node and waits until all are registered. */
    public void startAll() {
        cluster.startAll();
    }

    /** The nodes' TLS listeners (mTLS), comma-separated. */
    public String sslBootstrap() {
        return join(sslPorts);
    }

    /** The nodes' SASL_SSL listeners, comma-separated. */
    public String saslBootstrap() {
        return join(saslPorts);
    }

    /** One node's TLS listener. */
    public String sslBootstrap(int node) {
        return "127.0.0.1:" + sslPorts.get(node);
    }

    /** One node's SASL_SSL listener. */
    public String saslBootstrap(int node) {
        return "127.0.0.1:" + saslPorts.get(node);
    }

    public List<Integer> nodeIds() {
        return cluster.nodeIds();
    }

    /** Client settings and files for this cluster's CA. */
    public SecureClients clients() {
        return clients;
    }

    /** The cluster itself: kill, stop, start nodes. */
    public KafkaCluster cluster() {
        return cluster;
    }

    private static String join(Map<Integer, Integer> ports) {
        return ports.values().stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        cluster.close();
    }
}
