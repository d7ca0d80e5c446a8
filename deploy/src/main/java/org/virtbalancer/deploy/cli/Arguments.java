package org.virtbalancer.deploy.cli;

import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.InvalidMessageException;

/** Checks of command-line arguments; a bad one is a usage failure (exit 2) whose sentence names it. */
final class Arguments {
    private Arguments() {}

    /** {@code value} when it is a valid host, guest or plan name, as the messages require. */
    static String name(String what, String value) {
        try {
            return Check.name(what, value);
        } catch (InvalidMessageException e) {
            throw CommandFailure.usage(e.getMessage());
        }
    }
}
