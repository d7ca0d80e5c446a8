package org.virtbalancer.agent;

import io.vertx.core.Future;
import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.ResultStatus;

/** Command results of this host, keyed by command id on the command-results topic. */
final class Results {
    private final Outbox outbox;
    private final String topic;
    private final String host;

    Results(Outbox outbox, String topic, String host) {
        this.outbox = outbox;
        this.topic = topic;
        this.host = host;
    }

    /** Fails (never throws) when the result cannot be sent. */
    Future<Void> publish(String commandId, String guest, ResultStatus status, int percent, String reason, MigrationStats stats) {
        try {
            return outbox.publish(topic, commandId, new CommandResult(commandId, host, guest, status, percent, shorten(reason),
                    stats));
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /** A hypervisor's error text can be longer than a message may carry: keep its start. */
    static String shorten(String reason) {
        if (reason == null || reason.length() <= Check.MAX_TEXT) {
            return reason;
        }
        int keep = Check.MAX_TEXT - 80;
        return reason.substring(0, keep) + " … (" + (reason.length() - keep) + " more characters in the agent's log)";
    }

    Future<Void> publish(String commandId, String guest, ResultStatus status, String reason) {
        return publish(commandId, guest, status, status == ResultStatus.SUCCEEDED ? 100 : 0, reason, MigrationStats.NONE);
    }
}
