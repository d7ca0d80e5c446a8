package org.virtbalancer.deploy.cli;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Numbers as the CLI shows them: loads in percent, sizes, durations, clock times, progress bars. */
final class Figures {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private Figures() {}

    /** A normalised load as a whole percentage: 0.923 → "92". */
    static String percent(double load) {
        return String.valueOf(Math.round(load * 100));
    }

    /** 512 → "512 MiB", 2048 → "2.0 GiB". */
    static String size(long mib) {
        return mib >= 1024 ? String.format(Locale.ROOT, "%.1f GiB", mib / 1024.0) : mib + " MiB";
    }

    /** A predicted duration: "1.7 s" below ten seconds, else "21 s". */
    static String seconds(long ms) {
        return ms >= 10_000 ? Math.round(ms / 1000.0) + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    /** An elapsed time: "8s", "1m 05s", "2h 03m". */
    static String elapsed(long ms) {
        long s = Math.max(0, ms) / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh %02dm", s / 3600, s / 60 % 60);
    }

    /** Epoch millis as this machine's clock time, "14:03:27". */
    static String clock(long epochMillis) {
        return CLOCK.format(Instant.ofEpochMilli(epochMillis));
    }

    /** Epoch millis as this machine's date and time, "2026-11-26 14:03:27". */
    static String dateTime(long epochMillis) {
        return DATE_TIME.format(Instant.ofEpochMilli(epochMillis));
    }

    /** "[######....]" for done of total ({@code width} marks inside); full when total is 0. */
    static String bar(long done, long total, int width) {
        int filled = total <= 0 ? width : (int) Math.round(width * Math.min(1.0, (double) done / total));
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    }

    /** "1 guest", "2 guests". */
    static String count(long n, String thing) {
        return n + " " + thing + (n == 1 ? "" : "s");
    }
}
