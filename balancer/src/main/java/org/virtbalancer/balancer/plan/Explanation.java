package org.virtbalancer.balancer.plan;

import java.util.List;

/**
 * Why and where a guest can go, as the Kubernetes scheduler reports it: every failing rule on every
 * host, and a summary such as "0/7 hosts can take web-3: 4 in maintenance, 2 would exceed memory".
 *
 * @param guest   the guest asked about
 * @param host    the host it is on; empty when it is not in any inventory
 * @param hosts   one verdict per other known host, in name order (only the asked one when a target is
 *                given); empty when the guest, or the target asked about, is not known
 * @param counts  how many hosts each failing reason rules out, most first; reasons about the guest itself
 *                (e.g. pinned) count on every host
 * @param notes   facts about the guest itself that hold it back (cooldown, in flight, attempts)
 * @param summary the one-line answer
 */
public record Explanation(String guest, String host, List<HostVerdict> hosts, List<Count> counts, List<String> notes,
                          String summary) {
    public Explanation {
        hosts = List.copyOf(hosts);
        counts = List.copyOf(counts);
        notes = List.copyOf(notes);
    }

    /** An answer that names no host: the guest or the target is unknown, and the summary says what to do. */
    public static Explanation unknown(String guest, String host, String summary) {
        return new Explanation(guest, host, List.of(), List.of(), List.of(), summary);
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

    /**
     * One counted reason, as in "7 different subnet".
     *
     * @param reason the rule's short phrase
     * @param hosts  how many hosts it rules out
     */
    public record Count(String reason, int hosts) {}

    public long eligibleHosts() {
        return hosts.stream().filter(HostVerdict::eligible).count();
    }
}
