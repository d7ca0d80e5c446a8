package org.virtbalancer.balancer.plan;

import java.util.List;

/**
 * Why and where a guest can go, as the Kubernetes scheduler reports it: every failing rule on every
 * host, and a summary such as "0/7 hosts can take web-3: 4 in maintenance, 2 would exceed memory".
 *
 * @param guest   the guest asked about
 * @param host    the host it is on; empty when it is not in any inventory
 * @param hosts   one verdict per other known host, in name order
 * @param notes   facts about the guest itself that hold it back (cooldown, in flight, attempts)
 * @param summary the one-line answer
 */
public record Explanation(String guest, String host, List<HostVerdict> hosts, List<String> notes, String summary) {
    public Explanation {
        hosts = List.copyOf(hosts);
        notes = List.copyOf(notes);
    }

    /**
     * One host's answer.
     *
     * @param host     host id
     * @param eligible whether every rule passed
     * @param failures every failing rule, in rule order
     * @param warnings notes from passing rules (e.g. a shut-off definition will be overwritten)
     */
    public record HostVerdict(String host, boolean eligible, List<RuleFailure> failures, List<String> warnings) {
        public HostVerdict {
            failures = List.copyOf(failures);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * A failed rule.
     *
     * @param rule    the rule's name
     * @param summary the short phrase counted in the summary
     * @param reason  the full sentence
     */
    public record RuleFailure(String rule, String summary, String reason) {}

    public long eligibleHosts() {
        return hosts.stream().filter(HostVerdict::eligible).count();
    }
}
