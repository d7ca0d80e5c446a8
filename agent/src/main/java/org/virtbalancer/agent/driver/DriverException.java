package org.virtbalancer.agent.driver;

/** The hypervisor could not do what was asked; the message says why, for operators. */
public class DriverException extends Exception {
    public DriverException(String message) {
        super(message);
    }

    public DriverException(String message, Throwable cause) {
        super(message, cause);
    }
}
