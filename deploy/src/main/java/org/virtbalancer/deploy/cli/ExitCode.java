package org.virtbalancer.deploy.cli;

/**
 * What {@code vbal} exits with, the same for every command, so scripts can rely on it. The
 * {@code *_HELP} lines are the {@code --help} "Exit codes" entries, {@code code:meaning}.
 */
public final class ExitCode {
    /** Done: shown, sent, or (with --wait) reached. */
    public static final int OK = 0;
    /** It did not work: the balancer or Kafka refused or failed, or a migration failed. */
    public static final int FAILED = 1;
    /** Bad arguments or options; the error says which, and --help shows the right ones. */
    public static final int USAGE = 2;
    /** --wait gave up after --timeout; what was asked goes on. */
    public static final int TIMEOUT = 3;
    /** Cancelled meanwhile (e.g. the host was returned to service during its drain), or interrupted. */
    public static final int CANCELLED = 4;
    /** Kafka or the balancer's API cannot be reached. */
    public static final int UNREACHABLE = 5;
    /** No such host or guest, or no such plan waiting for approval. */
    public static final int UNKNOWN = 6;

    /**
     * Kafka took a control message but did not confirm it in time: it may still take effect when Kafka
     * recovers; the error says how to check. (A write that failed exits 1 or 5 and never takes effect.)
     */
    public static final int UNCONFIRMED = 7;

    static final String HEADING = "%nExit codes:%n";
    static final String FAILED_HELP = "1:failed: the balancer or Kafka refused or could not answer";
    static final String USAGE_HELP = "2:bad arguments; the error says which";
    static final String TIMEOUT_HELP = "3:--wait gave up after --timeout (what was asked goes on)";
    static final String CANCELLED_HELP = "4:cancelled meanwhile, or interrupted";
    static final String API_UNREACHABLE_HELP = "5:the balancer's API is unreachable";
    static final String KAFKA_UNREACHABLE_HELP = "5:Kafka is unreachable";
    static final String UNCONFIRMED_HELP = "7:Kafka took the message but did not confirm it; it may still take effect"
            + " (the error says how to check)";
    static final String UNKNOWN_HOST_HELP = "6:the balancer knows no such host";

    private ExitCode() {}
}
