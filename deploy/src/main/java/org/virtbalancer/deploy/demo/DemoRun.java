package org.virtbalancer.deploy.demo;

import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.balancer.service.BalancerVerticle;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.Migrate;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One run of the demo: draws the view, and measures what BENCHMARKS.md reports — time to the
 * first host report, and time from the first overloaded host report to the first migration
 * command (both from the envelopes' own timestamps).
 */
public final class DemoRun {
    private final PrintStream out;
    private final boolean redraw;
    private final long startedAt;
    private final BalancerSettings settings;
    private final TerminalView view;
    private final Map<String, Integer> cpus = new ConcurrentHashMap<>();
    private final AtomicLong firstReport = new AtomicLong();
    private final AtomicLong overloadOnset = new AtomicLong();
    private final AtomicLong firstMigration = new AtomicLong();
    private volatile long overloadedAtStart = -1;
    private volatile long maxOverloadedBeforeFirstMove;
    private BalancerVerticle balancer;

    public DemoRun(PrintStream out, boolean redraw, long startedAt, BalancerSettings settings) {
        this.out = out;
        this.redraw = redraw;
        this.startedAt = startedAt;
        this.settings = settings;
        this.view = new TerminalView(out, redraw, startedAt, settings.highWatermark(), settings.lowWatermark());
    }

    /** Names the broker in every frame. */
    public void kafka(String bootstrap) {
        view.kafka(bootstrap);
    }

    /** Names the balancer's HTTP API in every frame. */
    public void api(String url) {
        view.api(url);
    }

    public void attach(BalancerVerticle b) {
        this.balancer = b;
        b.onReceived(this::received);
        b.onCommandSent(env -> {
            if (env.body() instanceof Migrate) {
                firstMigration.compareAndSet(0, env.ts());
            }
            view.commandSent(env, System.currentTimeMillis());
        });
        b.onResult(r -> view.result(r, System.currentTimeMillis()));
    }

    private void received(Envelope env) {
        if (env.body() instanceof Inventory inv) {
            cpus.put(inv.facts().host(), inv.facts().cpus());
        } else if (env.body() instanceof HostLoad load) {
            firstReport.compareAndSet(0, env.ts());
            Integer c = cpus.get(load.host());
            if (c != null && load.cpuCores() / c > settings.highWatermark()) {
                overloadOnset.compareAndSet(0, env.ts());
            }
        }
    }

    /** Draws frames until {@code duration} passes (or forever when null, until Ctrl-C); returns the last snapshot. */
    public ClusterSnapshot runUntil(Duration duration) throws InterruptedException {
        CountDownLatch interrupted = new CountDownLatch(1);
        Thread hook = new Thread(interrupted::countDown);
        Runtime.getRuntime().addShutdownHook(hook);
        long end = duration == null ? Long.MAX_VALUE : System.currentTimeMillis() + duration.toMillis();
        long frameEvery = redraw ? 1000 : 5000;
        long nextFrame = 0;
        ClusterSnapshot last = balancer.snapshot();
        while (System.currentTimeMillis() < end) {
            long now = System.currentTimeMillis();
            last = balancer.snapshot();
            track(last);
            // Nothing to draw until the hosts have reported.
            if (now >= nextFrame && !last.hosts().isEmpty()) {
                view.frame(last, now);
                nextFrame = now + frameEvery;
            }
            if (interrupted.await(Math.min(250, Math.max(1, end - now)), TimeUnit.MILLISECONDS)) {
                break;
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Already shutting down (Ctrl-C): the summary still prints.
        }
        last = balancer.snapshot();
        view.frame(last, System.currentTimeMillis());
        return last;
    }

    private void track(ClusterSnapshot s) {
        // Before the first move a host counts if it is overloaded or already reports CPU above the high
        // watermark: imbalance moves may start before the detector has seen k hot samples.
        double high = BalancerSettings.defaults().highWatermark();
        long overloaded = s.hosts().stream().filter(h -> h.overloaded() || h.cpuLoad() > high).count();
        if (overloadedAtStart < 0) {
            maxOverloadedBeforeFirstMove = Math.max(maxOverloadedBeforeFirstMove, overloaded);
            if (s.migrationsIssued() > 0) {
                overloadedAtStart = maxOverloadedBeforeFirstMove;
            }
        }
    }

    public String timingLine() {
        String report = firstReport.get() == 0 ? "none" : (firstReport.get() - startedAt) + " ms";
        String react = overloadOnset.get() == 0 || firstMigration.get() == 0 ? "n/a"
                : (firstMigration.get() - overloadOnset.get()) + " ms";
        return "timing: first host report " + report + " after JVM start; first overloaded report -> first migration command " + react;
    }

    public String summaryLine(ClusterSnapshot s) {
        long start = overloadedAtStart >= 0 ? overloadedAtStart : maxOverloadedBeforeFirstMove;
        long end = s.hosts().stream().filter(HostSnapshot::overloaded).count();
        return String.format("summary: migrations=%d succeeded=%d failed=%d overloaded_hosts_start=%d overloaded_hosts_end=%d",
                s.migrationsIssued(), s.migrationsSucceeded(), s.migrationsFailed(), start, end);
    }
}
