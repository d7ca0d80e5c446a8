package org.virtbalancer.protocol;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Field checks used by the records' constructors; each failure names the field. */
public final class Check {
    /** Host and guest names: what libvirt and DNS accept, nothing a shell or URI could misread. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    public static final int MAX_TEXT = 4096;
    public static final int MAX_LIST = 10_000;

    private Check() {}

    public static String name(String field, String value) {
        present(field, value);
        if (!NAME.matcher(value).matches()) {
            throw new InvalidMessageException(field, "'" + abbreviate(value) + "' is not a valid name:"
                    + " use 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
        }
        return value;
    }

    public static String text(String field, String value) {
        present(field, value);
        if (value.length() > MAX_TEXT) {
            throw new InvalidMessageException(field, "is " + value.length() + " characters long; at most " + MAX_TEXT + " are allowed");
        }
        return value;
    }

    /** Optional text: null becomes the empty string. */
    public static String optionalText(String field, String value) {
        return value == null ? "" : text(field, value);
    }

    public static <T> T present(String field, T value) {
        if (value == null) {
            throw new InvalidMessageException(field, "is required but missing");
        }
        return value;
    }

    public static double nonNegative(String field, double value) {
        if (!Double.isFinite(value)) {
            throw new InvalidMessageException(field, "must be a finite number, got " + value);
        }
        if (value < 0) {
            throw new InvalidMessageException(field, "must not be negative, got " + value);
        }
        return value;
    }

    public static long nonNegative(String field, long value) {
        if (value < 0) {
            throw new InvalidMessageException(field, "must not be negative, got " + value);
        }
        return value;
    }

    public static long positive(String field, long value) {
        if (value <= 0) {
            throw new InvalidMessageException(field, "must be greater than zero, got " + value);
        }
        return value;
    }

    public static double positive(String field, double value) {
        nonNegative(field, value);
        if (value == 0) {
            throw new InvalidMessageException(field, "must be greater than zero, got 0");
        }
        return value;
    }

    /**
     * Upper bound of every CPU, bandwidth and rate figure (cores, MiB/s) a message may carry: far
     * above any real host, low enough that sums and squares of them stay finite.
     */
    public static final double MAX_FIGURE = 1_000_000;
    /** Upper bound of every memory figure, in MiB (2^40 MiB = 1 EiB). */
    public static final long MAX_MEMORY_MIB = 1L << 40;

    /** A finite number from 0 to {@code max}. */
    public static double nonNegative(String field, double value, double max) {
        nonNegative(field, value);
        if (value > max) {
            throw new InvalidMessageException(field, "must be at most " + max + ", got " + value);
        }
        return value;
    }

    /** A whole number from 0 to {@code max}. */
    public static long nonNegative(String field, long value, long max) {
        nonNegative(field, value);
        if (value > max) {
            throw new InvalidMessageException(field, "must be at most " + max + ", got " + value);
        }
        return value;
    }

    public static long range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new InvalidMessageException(field, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    /** A defensive, immutable copy; null becomes empty; elements must be present. */
    public static <T> List<T> list(String field, List<T> value) {
        if (value == null) {
            return List.of();
        }
        if (value.size() > MAX_LIST) {
            throw new InvalidMessageException(field, "has " + value.size() + " entries; at most " + MAX_LIST + " are allowed");
        }
        for (int i = 0; i < value.size(); i++) {
            present(field + "[" + i + "]", value.get(i));
        }
        return List.copyOf(value);
    }

    public static Map<String, String> labels(String field, Map<String, String> value) {
        if (value == null) {
            return Map.of();
        }
        if (value.size() > 256) {
            throw new InvalidMessageException(field, "has " + value.size() + " entries; at most 256 are allowed");
        }
        value.forEach((k, v) -> {
            name(field + " key", k);
            text(field + "." + k, v);
        });
        return Map.copyOf(value);
    }

    static String abbreviate(String value) {
        return value.length() <= 60 ? value : value.substring(0, 57) + "...";
    }
}
