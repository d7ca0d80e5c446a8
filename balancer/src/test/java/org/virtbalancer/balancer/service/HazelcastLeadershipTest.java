package org.virtbalancer.balancer.service;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real Hazelcast members on 127.0.0.1: three balancers are configured, and a fourth member that is
 * not in their list joins them with the right cluster name (open-source Hazelcast cannot keep it
 * out). It must never make up a majority, and never keep the oldest listed balancer from leading.
 */
class HazelcastLeadershipTest {
    private static final String CLUSTER = "hz-test-balancers";
    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    @Test
    void aMemberOutsideTheConfiguredListIsNeverCountedAndNeverLeads() {
        int a = freePort();
        int b = freePort();
        int c = freePort();
        int rogue = freePort();
        List<String> members = List.of("127.0.0.1:" + a, "127.0.0.1:" + b, "localhost:" + c);

        HazelcastLeadership first = start(a, members);
        assertFalse(first.leads(), "1 of 3 configured balancers is no majority");
        HazelcastInstance stranger = stranger(rogue, "127.0.0.1:" + a);
        await().atMost(Duration.ofSeconds(60)).until(() -> first.describe().contains("ignoring 1 member"));
        // Two members in the view, but only one of them configured: still no majority.
        assertFalse(first.leads(), first.describe());
        assertTrue(first.describe().startsWith("1 of 3 balancers (quorum 2)"), first.describe());
        assertTrue(first.describe().contains("127.0.0.1:" + rogue), first.describe());

        HazelcastLeadership second = start(b, members);
        await().atMost(Duration.ofSeconds(60)).until(() -> first.describe().startsWith("2 of 3"));
        assertTrue(first.leads(), first.describe());
        assertFalse(second.leads(), second.describe());

        // The first leaves: the stranger is now the oldest member, and the second alone is no majority.
        first.close();
        await().atMost(Duration.ofSeconds(60)).until(() -> stranger.getCluster().getMembers().size() == 2
                && stranger.getCluster().getMembers().iterator().next().localMember());
        assertFalse(second.leads(), second.describe());

        // A third configured one (listed by name) joins: the oldest configured member leads, not the older stranger.
        HazelcastLeadership third = start(c, members);
        await().atMost(Duration.ofSeconds(60)).until(() -> second.describe().startsWith("2 of 3"));
        assertTrue(second.leads(), second.describe());
        assertFalse(third.leads(), third.describe());
        assertTrue(second.describe().contains("ignoring 1 member not in the list: 127.0.0.1:" + rogue), second.describe());
    }

    private HazelcastLeadership start(int port, List<String> members) {
        HazelcastLeadership l = new HazelcastLeadership(CLUSTER, "127.0.0.1", port, members, "");
        started.add(l);
        l.start(() -> { });
        return l;
    }

    /** A plain member with the balancers' cluster name, at an address none of them lists. */
    private HazelcastInstance stranger(int port, String joinVia) {
        Config config = new Config();
        config.setClusterName(CLUSTER);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(List.of(joinVia, "127.0.0.1:" + port));
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
        started.add(hz::shutdown);
        return hz;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
