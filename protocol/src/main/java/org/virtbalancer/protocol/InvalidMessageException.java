package org.virtbalancer.protocol;

/** A message field that is missing, malformed or out of range; {@link #field()} names it. */
public final class InvalidMessageException extends RuntimeException {
    private final String field;

    public InvalidMessageException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The dotted path of the offending field, relative to the record that threw. */
    public String field() {
        return field;
    }

    /** The same problem with {@code prefix} put in front of the field path. */
    public InvalidMessageException under(String prefix) {
        String problem = getMessage().substring(field.length() + 2);
        return new InvalidMessageException(prefix.isEmpty() ? field : prefix + "." + field, problem);
    }
}
