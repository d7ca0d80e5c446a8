package org.virtbalancer.protocol;

/**
 * Control: set the cluster's automation level.
 *
 * @param level the new level
 */
public record SetAutomation(AutomationLevel level) implements Message {
    public SetAutomation {
        Check.present("level", level);
    }
}
