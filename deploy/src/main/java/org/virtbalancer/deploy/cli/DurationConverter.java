package org.virtbalancer.deploy.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads {@code 500ms}, {@code 60s}, {@code 2m}, {@code 1h}, {@code 7d} or ISO-8601 ({@code PT1M}). */
public final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /** Longer durations are refused: every timeout and retention fits, and none overflows when added to a clock. */
    public static final Duration MAX = Duration.ofDays(3650);

    @Override
    public Duration convert(String value) {
        Matcher m = SIMPLE.matcher(value.trim());
        Duration d;
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            } catch (NumberFormatException | ArithmeticException e) {
                throw tooLong(value);
            }
        } else {
            try {
                d = Duration.parse(value.trim());
            } catch (RuntimeException e) {
                throw new TypeConversionException("'" + value + "' is not a duration: write it like 90s, 5m, 1h, 7d or 500ms");
            }
        }
        if (d.isNegative()) {
            throw new TypeConversionException("'" + value + "' is negative: give a duration of 0 or more, like 90s, 5m or 1h");
        }
        if (d.compareTo(MAX) > 0) {
            throw tooLong(value);
        }
        return d;
    }

    private static TypeConversionException tooLong(String value) {
        return new TypeConversionException("'" + value + "' is longer than " + MAX.toDays() + " days: give a shorter"
                + " duration, like 90s, 5m, 1h or 7d");
    }

    /** The shortest form {@link #convert} reads back: {@code 7d}, {@code 90m}, {@code 500ms}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms != 0 && ms % 86_400_000 == 0) return ms / 86_400_000 + "d";
        if (ms != 0 && ms % 3_600_000 == 0) return ms / 3_600_000 + "h";
        if (ms != 0 && ms % 60_000 == 0) return ms / 60_000 + "m";
        if (ms % 1000 == 0) return ms / 1000 + "s";
        return ms + "ms";
    }
}
