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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Leadership from an embedded Hazelcast member: the balancers list each other (TCP-IP join, no
 * multicast, no auto-detection), and the oldest listed member of a view that holds a majority of the
 * listed members leads. A minority side (a partitioned or resumed member alone) never leads.
 *
 * <p>Open-source Hazelcast cannot authenticate members: anything that reaches the cluster port and
 * knows the cluster name can join. So the member binds to its configured address only, and a member
 * whose address is not in the configured list is never counted toward the majority and never
 * leads, whenever it joined; it is logged as a warning. (Leading still takes the balancer's Kafka
 * credentials: only they may write commands, see {@link LeaderChannel}.)
 *
 * <p>Failure detection is tuned from Hazelcast's 60 s default to heartbeats every second and a
 * member declared dead after {@link #MAX_NO_HEARTBEAT_SECONDS} without one, so a hung leader is
 * replaced in seconds (60 s with the default, measured here). No CP subsystem (not in the
 * open-source jar from 5.5): fencing is {@link LeaderChannel}'s.
 */
final class HazelcastLeadership implements Leadership {
    static final int MAX_NO_HEARTBEAT_SECONDS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(HazelcastLeadership.class);

    private final String clusterName;
    private final String bindHost;
    private final int port;
    private final List<String> members;
    private final String outboundPorts;
    /** Every configured member as {@code ip:port}, its name resolved at start. */
    private volatile Set<String> listed = Set.of();
    /**
     * The addresses of each host name members announced (Hazelcast announces a name when the member
     * list gives one), looked up when the member is seen, on Hazelcast's threads: {@link #leads()}
     * runs on an event loop and must not wait for a name lookup.
     */
    private final Map<String, Set<String>> addresses = new ConcurrentHashMap<>();
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

    /**
     * Resolves the configured members' addresses (a name may stand for several); blocking.
     *
     * @throws IllegalArgumentException naming a member whose name does not resolve
     */
    private static Set<String> resolve(List<String> members) {
        Set<String> addresses = new HashSet<>();
        for (String m : members) {
            int colon = m.lastIndexOf(':');
            String host = m.substring(0, colon).replaceAll("^\\[|]$", "");
            String port = m.substring(colon + 1);
            try {
                for (InetAddress a : InetAddress.getAllByName(host)) {
                    addresses.add(a.getHostAddress() + ":" + Integer.parseInt(port));
                }
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("cannot resolve balancer cluster member " + m + " (" + e.getMessage()
                        + "): list every balancer by an address or a name this machine resolves", e);
            }
        }
        return Set.copyOf(addresses);
    }

    /** Looks up the addresses of the name {@code m} announces, once; blocking. */
    private void learn(Member m) {
        addresses.computeIfAbsent(m.getAddress().getHost(), host -> {
            Set<String> found = new HashSet<>();
            try {
                for (InetAddress a : InetAddress.getAllByName(host)) {
                    found.add(a.getHostAddress());
                }
            } catch (UnknownHostException e) {
                LOG.warn("cannot resolve {}, the address of balancer cluster member {}: it is not counted", host,
                        m.getAddress());
            }
            return Set.copyOf(found);
        });
    }

    /** Whether {@code m} is one of the configured members, by address and port; false until {@link #learn}ed. */
    private boolean isListed(Member m) {
        Set<String> ips = addresses.getOrDefault(m.getAddress().getHost(), Set.of());
        return ips.stream().anyMatch(ip -> listed.contains(ip + ":" + m.getAddress().getPort()));
    }

    /** The members of {@code view} that count, oldest first. */
    private List<Member> counted(Set<Member> view) {
        List<Member> counted = new ArrayList<>();
        for (Member m : view) {
            if (isListed(m)) {
                counted.add(m);
            }
        }
        return counted;
    }

    @Override
    public void start(Runnable onChange) {
        listed = resolve(members);
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
                learn(e.getMember());
                warnIfForeign(e.getMember());
                onChange.run();
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                onChange.run();
            }
        });
        hz.getLifecycleService().addLifecycleListener((LifecycleEvent e) -> onChange.run());
        hz.getCluster().getMembers().forEach(m -> {
            learn(m);
            warnIfForeign(m);
        });
        onChange.run();
    }

    private void warnIfForeign(Member m) {
        if (!isListed(m)) {
            LOG.warn("a Hazelcast member at {} joined the balancer cluster {} but is not in its member list {}: it is not"
                    + " counted and never leads; allow the cluster port ({}) only between the listed balancers",
                    m.getAddress(), clusterName, members, port);
        }
    }

    @Override
    public boolean leads() {
        HazelcastInstance h = hz;
        if (h == null || !h.getLifecycleService().isRunning()) {
            return false;
        }
        List<Member> counted = counted(h.getCluster().getMembers());
        return counted.size() >= quorum() && counted.get(0).localMember();
    }

    @Override
    public String describe() {
        HazelcastInstance h = hz;
        if (h == null || !h.getLifecycleService().isRunning()) {
            return "not in the balancer cluster";
        }
        Set<Member> view = h.getCluster().getMembers();
        List<Member> counted = counted(view);
        List<String> foreign = view.stream().filter(m -> !isListed(m))
                .map(m -> m.getAddress().getHost() + ":" + m.getAddress().getPort()).toList();
        String oldest = counted.isEmpty() ? "" : ", oldest " + counted.get(0).getAddress().getHost() + ":"
                + counted.get(0).getAddress().getPort();
        return counted.size() + " of " + members.size() + " balancers (quorum " + quorum() + ")" + oldest
                + (leads() ? ": this one leads" : counted.size() < quorum() ? ": no quorum, nobody here leads" : "")
                + (foreign.isEmpty() ? "" : "; ignoring " + foreign.size() + " member" + (foreign.size() == 1 ? "" : "s")
                + " not in the list: " + String.join(", ", foreign));
    }

    @Override
    public void close() {
        HazelcastInstance h = hz;
        if (h != null) {
            h.shutdown();
        }
    }
}
