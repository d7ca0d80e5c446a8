package org.virtbalancer.agent;

import io.vertx.core.Future;
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

    Future<Void> publish(String commandId, String guest, ResultStatus status, int percent, String reason, MigrationStats stats) {
        return outbox.publish(topic, commandId, new CommandResult(commandId, host, guest, status, percent, reason, stats));
    }

    Future<Void> publish(String commandId, String guest, ResultStatus status, String reason) {
        return publish(commandId, guest, status, status == ResultStatus.SUCCEEDED ? 100 : 0, reason, MigrationStats.NONE);
    }
}
