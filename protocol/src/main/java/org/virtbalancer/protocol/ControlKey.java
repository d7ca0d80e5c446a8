package org.virtbalancer.protocol;

/**
 * The key a control message is written under on the compacted control topic, the same whoever
 * writes it (CLI, HTTP API, a console producer following the docs): compaction keeps the latest
 * message per key, so the key says what the latest one is about.
 * <ul>
 *   <li>EnterMaintenance, ExitMaintenance: the host, so the host's latest wish survives;</li>
 *   <li>SetAutomation: {@code automation}, one level for the cluster;</li>
 *   <li>ApprovePlan: {@code approve:PLAN}, one per plan;</li>
 *   <li>RequestMigration and its RequestOutcome: {@code migrate:REQUEST}, so the answer replaces the request.</li>
 * </ul>
 */
public final class ControlKey {
    public static final String AUTOMATION = "automation";
    public static final String MIGRATE_PREFIX = "migrate:";

    private ControlKey() {}

    public static String of(Message control) {
        if (control instanceof EnterMaintenance m) {
            return m.host();
        } else if (control instanceof ExitMaintenance m) {
            return m.host();
        } else if (control instanceof SetAutomation) {
            return AUTOMATION;
        } else if (control instanceof ApprovePlan a) {
            return "approve:" + a.planId();
        } else if (control instanceof RequestMigration r) {
            return MIGRATE_PREFIX + r.requestId();
        } else if (control instanceof RequestOutcome o) {
            return MIGRATE_PREFIX + o.requestId();
        }
        throw new IllegalArgumentException(control.getClass().getSimpleName() + " is not a control message; send"
                + " EnterMaintenance, ExitMaintenance, SetAutomation, ApprovePlan or RequestMigration to the control topic");
    }
}
