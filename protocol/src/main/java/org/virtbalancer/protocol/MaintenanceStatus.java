package org.virtbalancer.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * Decision: where a host's maintenance stands. Published on every change while a drain runs.
 *
 * @param host      host id
 * @param state     ACTIVE, ENTERING or IN_MAINTENANCE
 * @param total     guests on the host when the drain started
 * @param remaining guests still on the host
 * @param migrating guests whose migration is in flight
 * @param blocked   guests that cannot leave now, each with its reason
 * @param message   one readable line for operators
 */
public record MaintenanceStatus(String host, MaintenanceState state, @JsonProperty(required = true) int total, @JsonProperty(required = true) int remaining, List<String> migrating,
                                List<BlockedGuest> blocked, String message) implements Message {
    public MaintenanceStatus {
        Check.name("host", host);
        Check.present("state", state);
        Check.nonNegative("total", total);
        Check.nonNegative("remaining", remaining);
        migrating = Check.list("migrating", migrating);
        blocked = Check.list("blocked", blocked);
        message = Check.optionalText("message", message);
    }
}
