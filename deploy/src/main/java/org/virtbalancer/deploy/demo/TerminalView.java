package org.virtbalancer.deploy.demo;

import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.balancer.core.MigrationSnapshot;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.ResultStatus;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's live view: a frame of host load bars, migrations in flight and maintenance drains,
 * plus a running log of migrations as they start and finish. On a terminal the frame is redrawn
 * in place; into a pipe or file, frames are appended (less often) so the log stays readable.
 */
final class TerminalView {
    private static final int BAR = 30;
    private static final int LOG_LINES = 12;

    private final PrintStream out;
    private final boolean redraw;
    private final long startedAt;
    private final double high;
    private final double low;
    private final Deque<String> log = new ArrayDeque<>();
    private final Map<String, String> lastMaintenance = new HashMap<>();
    private volatile String kafka = "";
    private volatile String api = "";

    TerminalView(PrintStream out, boolean redraw, long startedAt, double high, double low) {
        this.out = out;
        this.redraw = redraw;
        this.startedAt = startedAt;
        this.high = high;
        this.low = low;
    }

    /** Shown in every frame, since a redraw clears the start-up lines that named the broker. */
    void kafka(String bootstrap) {
        this.kafka = "  kafka=" + bootstrap;
    }

    /** Shown in every frame after the broker, for the same reason. */
    void api(String url) {
        this.api = "  api=" + url;
    }

    /** A command the balancer sent. */
    synchronized void commandSent(Envelope env, long now) {
        if (env.body() instanceof Migrate m) {
            event(now, String.format("-> %-10s %s -> %s %s: %s", m.guest(), m.source(), m.target(), m.mode(), m.reason()));
        }
    }

    /** A final result an agent reported. */
    synchronized void result(CommandResult r, long now) {
        if (r.status() == ResultStatus.SUCCEEDED) {
            event(now, String.format(Locale.ROOT, "ok %-10s left %s in %.1f s, %d MiB copied, downtime %d ms",
                    r.guest(), r.host(), r.stats().elapsedMs() / 1000.0, r.stats().transferredMiB(), r.stats().downtimeMs()));
        } else if (r.status().isFinal()) {
            event(now, String.format("!! %-10s %s on %s: %s", r.guest(), r.status(), r.host(), r.reason()));
        }
    }

    private void event(long now, String line) {
        String stamped = "[" + clock(now) + "] " + line;
        log.addLast(stamped);
        while (log.size() > LOG_LINES) {
            log.removeFirst();
        }
        if (!redraw) {
            out.println(stamped);
        }
    }

    /** Draws one frame. */
    synchronized void frame(ClusterSnapshot s, long now) {
        for (MaintenanceStatus m : s.maintenance()) {
            String line = m.state() + " " + (m.total() - m.remaining()) + "/" + m.total() + " " + m.blocked().size();
            if (!line.equals(lastMaintenance.put(m.host(), line))) {
                event(now, String.format("maintenance %s: %s, %d/%d guests moved%s", m.host(), m.state(),
                        m.total() - m.remaining(), m.total(), m.blocked().isEmpty() ? "" : ", " + m.blocked().size() + " blocked"));
            }
        }
        StringBuilder sb = new StringBuilder();
        if (redraw) {
            sb.append("\033[H\033[2J");
        }
        sb.append(String.format(Locale.ROOT, "virt-balancer demo  t=%s%s%s  automation=%s  imbalance=%.3f  migrations issued=%d ok=%d failed=%d%n",
                clock(now), kafka, api, s.automation(), s.imbalance(), s.migrationsIssued(), s.migrationsSucceeded(), s.migrationsFailed()));
        sb.append(String.format(Locale.ROOT, "%-8s %-" + (BAR + 2) + "s %5s %5s %6s  %s%n", "host", "cpu (| = high " + pct(high) + ")",
                "cpu", "mem", "guests", "state"));
        for (HostSnapshot h : s.hosts()) {
            sb.append(String.format(Locale.ROOT, "%-8s %s %5s %5s %6d  %s%n", h.host(), bar(h.cpuLoad()), pct(h.cpuLoad()),
                    pct(h.memoryLoad()), h.guests(), state(h)));
        }
        if (!s.inFlight().isEmpty()) {
            sb.append("in flight:").append(System.lineSeparator());
            for (MigrationSnapshot m : s.inFlight()) {
                sb.append(String.format("  %-10s %s -> %s %-8s %3d%%%n", m.guest(), m.source(), m.target(), m.mode(), m.percent()));
            }
        }
        for (MaintenanceStatus m : s.maintenance()) {
            if (m.state() == MaintenanceState.ACTIVE) continue;
            sb.append(String.format("maintenance %s %s: %d of %d guests left", m.host(), m.state(), m.remaining(), m.total()));
            if (!m.migrating().isEmpty()) sb.append(", moving ").append(String.join(" ", m.migrating()));
            sb.append(System.lineSeparator());
            m.blocked().forEach(b -> sb.append("  blocked ").append(b.guest()).append(": ").append(b.reason()).append(System.lineSeparator()));
        }
        if (redraw) {
            sb.append("recent:").append(System.lineSeparator());
            log.forEach(l -> sb.append("  ").append(l).append(System.lineSeparator()));
        }
        out.print(sb);
        out.flush();
    }

    private String state(HostSnapshot h) {
        StringBuilder sb = new StringBuilder();
        if (h.maintenance() != MaintenanceState.ACTIVE) sb.append(h.maintenance()).append(' ');
        if (h.overloaded()) sb.append("OVERLOADED ");
        if (h.stale()) sb.append("STALE ");
        return sb.length() == 0 ? "ok" : sb.toString().trim();
    }

    private String bar(double load) {
        int highAt = (int) Math.round(high * BAR);
        int filled = (int) Math.round(Math.min(load, 1.0) * BAR);
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < BAR; i++) {
            sb.append(i == highAt ? '|' : i < filled ? '#' : ' ');
        }
        return sb.append(load > 1.0 ? '+' : ']').toString();
    }

    private static String pct(double v) {
        return Math.round(v * 100) + "%";
    }

    private String clock(long now) {
        long s = Math.max(0, (now - startedAt) / 1000);
        return String.format("%02d:%02d", s / 60, s % 60);
    }
}
