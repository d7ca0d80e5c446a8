package org.virtbalancer.balancer.replay;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * Virtual time for the decision core: it stands still until set or advanced. The replay moves it
 * minute by minute; the core's tests move it by hand.
 */
public final class VirtualClock extends Clock {
    private Instant now;

    public VirtualClock(Instant start) {
        this.now = start;
    }

    /** A clock at a fixed, arbitrary start. */
    public static VirtualClock atStart() {
        return new VirtualClock(Instant.parse("2025-01-01T00:00:00Z"));
    }

    public void set(Instant instant) {
        now = instant;
    }

    public void advance(java.time.Duration d) {
        now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }
}
