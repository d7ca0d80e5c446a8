package org.virtbalancer.protocol;

/** Where a command stands; the last three are final. */
public enum ResultStatus {
    ACCEPTED, PROGRESS, SUCCEEDED, FAILED, REJECTED;

    public boolean isFinal() {
        return this == SUCCEEDED || this == FAILED || this == REJECTED;
    }
}
