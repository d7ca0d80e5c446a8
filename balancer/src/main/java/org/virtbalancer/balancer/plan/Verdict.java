package org.virtbalancer.balancer.plan;

/**
 * What one eligibility rule says about one placement.
 *
 * @param passed  whether the placement may go ahead as far as this rule is concerned
 * @param summary a short phrase counted across hosts in explanations, e.g. "would exceed memory"; empty on a pass
 * @param reason  a full sentence: why it fails, or a warning on a pass; empty on a plain pass
 */
public record Verdict(boolean passed, String summary, String reason) {
    private static final Verdict PASS = new Verdict(true, "", "");

    public static Verdict pass() {
        return PASS;
    }

    /** Passes, but the operator should know something, e.g. a shut-off definition gets overwritten. */
    public static Verdict warn(String reason) {
        return new Verdict(true, "", reason);
    }

    public static Verdict fail(String summary, String reason) {
        return new Verdict(false, summary, reason);
    }
}
