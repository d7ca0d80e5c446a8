package org.virtbalancer.balancer.service;

import org.virtbalancer.protocol.Check;

import java.util.List;

/**
 * How this balancer finds the others: its own Hazelcast address and every balancer's
 * {@code host:port}, itself included. No members: a single balancer, which always leads.
 *
 * @param host    address this balancer's Hazelcast member binds to
 * @param port    its port
 * @param members       every balancer's {@code host:port}; empty for a single balancer
 * @param outboundPorts local ports this member connects from, e.g. {@code 33000-33010}; empty for any (lets a
 *                      firewall tell its cluster traffic apart)
 */
public record Membership(String host, int port, List<String> members, String outboundPorts) {
    public static final int DEFAULT_PORT = 5701;
    public static final Membership STANDALONE = new Membership("127.0.0.1", DEFAULT_PORT, List.of(), "");

    public Membership(String host, int port, List<String> members) {
        this(host, port, members, "");
    }

    public Membership {
        Check.text("host", host);
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("the balancer cluster port must be 1-65535, got " + port);
        }
        members = List.copyOf(members);
        outboundPorts = outboundPorts == null ? "" : outboundPorts.trim();
        if (!outboundPorts.isEmpty() && !outboundPorts.matches("\\d{1,5}(-\\d{1,5})?")) {
            throw new IllegalArgumentException("outbound ports are a port or a range such as 33000-33010; got '"
                    + outboundPorts + "'");
        }
        for (String m : members) {
            if (!m.matches("[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}")) {
                throw new IllegalArgumentException("a balancer cluster member is host:port, e.g. 10.0.0.5:5701; got '" + m + "'");
            }
        }
        if (!members.isEmpty() && !members.contains(host + ":" + port)) {
            throw new IllegalArgumentException("the member list " + members + " must include this balancer, " + host + ":"
                    + port + " (every balancer gets the same list)");
        }
    }

    public boolean standalone() {
        return members.isEmpty();
    }
}
