package org.virtbalancer.balancer.service;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;

import java.util.List;
import java.util.Set;

/**
 * Leadership from an embedded Hazelcast member: the balancers list each other (TCP-IP join, no
 * multicast, no auto-detection), and the oldest member of a view that holds a majority of the
 * listed members leads. A minority side (a partitioned or resumed member alone) never leads.
 *
 * <p>Failure detection is tuned from Hazelcast's 60 s default to heartbeats every second and a
 * member declared dead after {@link #MAX_NO_HEARTBEAT_SECONDS} without one, so a hung leader is
 * replaced in seconds (FACTS.md measured 60 s with the default). No CP subsystem (not in the
 * open-source jar from 5.5): fencing is {@link LeaderChannel}'s.
 */
final class HazelcastLeadership implements Leadership {
    static final int MAX_NO_HEARTBEAT_SECONDS = 3;

    private final String clusterName;
    private final String bindHost;
    private final int port;
    private final List<String> members;
    private final String outboundPorts;
    private volatile HazelcastInstance hz;

    /**
     * @param clusterName members with another name never join (derived from the topic prefix)
     * @param bindHost    address this member binds to and announces
     * @param port        this member's port
     * @param members       every balancer's {@code host:port}, this one included
     * @param outboundPorts local ports to connect from ("" for any)
     */
    HazelcastLeadership(String clusterName, String bindHost, int port, List<String> members, String outboundPorts) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a balancer cluster needs its member list (host:port of every balancer)");
        }
        this.clusterName = clusterName;
        this.bindHost = bindHost;
        this.port = port;
        this.members = List.copyOf(members);
        this.outboundPorts = outboundPorts;
    }

    /** Members needed for a majority of the configured list. */
    int quorum() {
        return members.size() / 2 + 1;
    }

    @Override
    public void start(Runnable onChange) {
        Config config = new Config();
        config.setClusterName(clusterName);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(MAX_NO_HEARTBEAT_SECONDS));
        // After a partition heals the two sides merge within seconds, not the default minutes.
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(port).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface(bindHost);
        if (!outboundPorts.isEmpty()) {
            network.addOutboundPortDefinition(outboundPorts);
        }
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(members);
        hz = Hazelcast.newHazelcastInstance(config);
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                onChange.run();
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                onChange.run();
            }
        });
        hz.getLifecycleService().addLifecycleListener((LifecycleEvent e) -> onChange.run());
        onChange.run();
    }

    @Override
    public boolean leads() {
        HazelcastInstance h = hz;
        if (h == null || !h.getLifecycleService().isRunning()) {
            return false;
        }
        Set<Member> view = h.getCluster().getMembers();
        return view.size() >= quorum() && view.iterator().next().localMember();
    }

    @Override
    public String describe() {
        HazelcastInstance h = hz;
        if (h == null || !h.getLifecycleService().isRunning()) {
            return "not in the balancer cluster";
        }
        Set<Member> view = h.getCluster().getMembers();
        Member oldest = view.iterator().next();
        return view.size() + " of " + members.size() + " balancers (quorum " + quorum() + "), oldest "
                + oldest.getAddress().getHost() + ":" + oldest.getAddress().getPort()
                + (leads() ? ": this one leads" : view.size() < quorum() ? ": no quorum, nobody here leads" : "");
    }

    @Override
    public void close() {
        HazelcastInstance h = hz;
        if (h != null) {
            h.shutdown();
        }
    }
}
