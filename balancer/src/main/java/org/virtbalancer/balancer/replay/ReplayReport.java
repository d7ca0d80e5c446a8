package org.virtbalancer.balancer.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one replay, as a text table or one JSON object.
 *
 * @param policy                policy name
 * @param trace                 trace day (directory name)
 * @param hosts                 hosts in the cluster
 * @param guests                guests (one per trace file)
 * @param meanCpu               the day's mean demand over the cluster's CPUs
 * @param overloadHostMinutes   minutes hosts spent above 90 % CPU demand
 * @param overloadAtStep        of those, minutes in the first minute of a trace step (the load changed that minute)
 * @param imbalancePeak         highest per-minute std-dev of normalised host CPU load
 * @param imbalanceMean         mean of it over the day
 * @param migrations            migrations started
 * @param gibMigrated           GiB they copied
 * @param pingpong              returns to a host left less than 30 minutes earlier
 * @param violations            rule violations (see {@link ReplayMetrics})
 * @param violationsByKind      the same by kind
 * @param wallSeconds           real time the replay took
 */
public record ReplayReport(String policy, String trace, int hosts, int guests, double meanCpu, long overloadHostMinutes,
                           long overloadAtStep, double imbalancePeak, double imbalanceMean, int migrations, double gibMigrated, int pingpong,
                           int violations, Map<String, Integer> violationsByKind, double wallSeconds) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ReplayReport {
        violationsByKind = Map.copyOf(violationsByKind);
    }

    static ReplayReport of(String policy, String trace, int hosts, int guests, double meanCpu, ReplayMetrics m,
                           double wallSeconds) {
        return new ReplayReport(policy, trace, hosts, guests, meanCpu, m.overloadHostMinutes(), m.overloadAtStep(),
                m.imbalancePeak(),
                m.imbalanceMean(), m.migrations(), m.gibMigrated(), m.pingpong(), m.violations(), m.violationsByKind(),
                wallSeconds);
    }

    /** One JSON object with the keys the issue names, in that order, then {@code overload_at_step}. */
    public String toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("hosts", hosts);
        o.put("guests", guests);
        o.put("mean_cpu", round(meanCpu, 4));
        o.put("overload_host_minutes", overloadHostMinutes);
        o.put("imbalance_peak", round(imbalancePeak, 4));
        o.put("imbalance_mean", round(imbalanceMean, 4));
        o.put("migrations", migrations);
        o.put("gib_migrated", round(gibMigrated, 2));
        o.put("pingpong", pingpong);
        o.put("violations", violations);
        o.put("wall_seconds", round(wallSeconds, 2));
        // Beyond the keys: overload minutes when the load had just changed (see ReplayMetrics).
        o.put("overload_at_step", overloadAtStep);
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of numbers always serialises", e);
        }
    }

    /** A small two-column table for people. */
    public String toText() {
        List<String[]> rows = List.of(
                new String[]{"policy", policy},
                new String[]{"trace", trace},
                new String[]{"hosts", Integer.toString(hosts)},
                new String[]{"guests", Integer.toString(guests)},
                new String[]{"mean cpu", String.format(Locale.ROOT, "%.3f", meanCpu)},
                new String[]{"overload host-minutes (>90% cpu)", Long.toString(overloadHostMinutes)},
                new String[]{"  of which in a trace step's first minute", Long.toString(overloadAtStep)},
                new String[]{"imbalance peak", String.format(Locale.ROOT, "%.4f", imbalancePeak)},
                new String[]{"imbalance mean", String.format(Locale.ROOT, "%.4f", imbalanceMean)},
                new String[]{"migrations", Integer.toString(migrations)},
                new String[]{"GiB migrated", String.format(Locale.ROOT, "%.2f", gibMigrated)},
                new String[]{"ping-pong (back within 30 min)", Integer.toString(pingpong)},
                new String[]{"rule violations", violations + (violationsByKind.isEmpty() ? "" : " " + violationsByKind)},
                new String[]{"wall seconds", String.format(Locale.ROOT, "%.2f", wallSeconds)});
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            sb.append(String.format(Locale.ROOT, "%-42s %s%n", r[0], r[1]));
        }
        return sb.toString();
    }

    private static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }
}
