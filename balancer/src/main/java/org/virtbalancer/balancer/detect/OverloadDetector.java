package org.virtbalancer.balancer.detect;

import org.virtbalancer.balancer.model.Utilisation;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Finds hosts that run hot for a sustained period: a host is overloaded when k of its last n
 * samples had CPU above the high watermark or memory above the memory watermark, and it stays
 * overloaded until a sample is below both low marks, so a host hovering at the threshold does not flap.
 */
public final class OverloadDetector {
    private final double high;
    private final double low;
    private final double memoryHigh;
    private final double memoryLow;
    private final int k;
    private final int n;
    private final Map<String, HostHistory> histories = new HashMap<>();

    private static final class HostHistory {
        final Deque<Boolean> window = new ArrayDeque<>();
        boolean overloaded;
        Utilisation last;
        /** reason() since the last sample: a plan quotes it in every move off the host. */
        String reason;
    }

    /** The same marks for CPU and memory. */
    public OverloadDetector(double highWatermark, double lowWatermark, int k, int n) {
        this(highWatermark, lowWatermark, highWatermark, lowWatermark, k, n);
    }

    public OverloadDetector(double highWatermark, double lowWatermark, double memoryHigh, double memoryLow, int k, int n) {
        if (!(lowWatermark < highWatermark) || !(memoryLow < memoryHigh) || k < 1 || n < k) {
            throw new IllegalArgumentException("need lowWatermark < highWatermark and 1 <= k <= n, got low " + lowWatermark
                    + ", high " + highWatermark + ", k " + k + ", n " + n);
        }
        this.high = highWatermark;
        this.low = lowWatermark;
        this.memoryHigh = memoryHigh;
        this.memoryLow = memoryLow;
        this.k = k;
        this.n = n;
    }

    /** Takes one sample of the host; returns whether it is overloaded now. */
    public boolean observe(String host, Utilisation load) {
        HostHistory h = histories.computeIfAbsent(host, x -> new HostHistory());
        h.last = load;
        h.reason = null;
        h.window.addLast(load.cpu() > high || load.memory() > memoryHigh);
        while (h.window.size() > n) {
            h.window.removeFirst();
        }
        if (h.overloaded) {
            if (load.cpu() < low && load.memory() < memoryLow) {
                h.overloaded = false;
                // Start afresh: k new hot samples are needed before it counts as overloaded again.
                h.window.clear();
            }
        } else if (overSamples(h) >= k) {
            h.overloaded = true;
        }
        return h.overloaded;
    }

    public boolean isOverloaded(String host) {
        HostHistory h = histories.get(host);
        return h != null && h.overloaded;
    }

    /** Why the host counts as overloaded, e.g. "host-1 cpu 0.97 > 0.85 for 3 of 5 samples"; empty when it is not. */
    public String reason(String host) {
        HostHistory h = histories.get(host);
        if (h == null || !h.overloaded) {
            return "";
        }
        if (h.reason == null) {
            h.reason = describe(host, h);
        }
        return h.reason;
    }

    private String describe(String host, HostHistory h) {
        boolean cpu = h.last.cpu() - high >= h.last.memory() - memoryHigh;
        String resource = cpu ? "cpu" : "memory";
        double value = cpu ? h.last.cpu() : h.last.memory();
        double over = cpu ? high : memoryHigh;
        if (value > over) {
            return String.format(Locale.ROOT, "%s %s %.2f > %.2f for %d of %d samples", host, resource, value, over,
                    overSamples(h), n);
        }
        return String.format(Locale.ROOT, "%s %s %.2f has not yet fallen below %.2f since it went over %.2f", host,
                resource, value, cpu ? low : memoryLow, over);
    }

    private static int overSamples(HostHistory h) {
        int hot = 0;
        for (boolean b : h.window) {
            hot += b ? 1 : 0;
        }
        return hot;
    }
}
