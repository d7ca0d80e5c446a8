package org.virtbalancer.protocol;

/**
 * Command to the source host's agent: move {@code guest} to {@code target}. The envelope id is
 * the command id; agents run each id at most once.
 *
 * @param guest      domain name
 * @param source     host the guest is on (the agent that receives the command)
 * @param target     host id from the cluster inventory; the agent resolves its address
 * @param mode       live, non-live or offline
 * @param options    virsh's options
 * @param deadlineTs epoch millis after which the agent must not start it (and aborts it if running)
 * @param reason     why the balancer wants this move, for audit
 */
public record Migrate(String guest, String source, String target, MigrationMode mode, MigrationOptions options,
                      long deadlineTs, String reason) implements Message {
    public Migrate {
        Check.name("guest", guest);
        Check.name("source", source);
        Check.name("target", target);
        Check.present("mode", mode);
        Check.present("options", options);
        Check.positive("deadlineTs", deadlineTs);
        reason = Check.optionalText("reason", reason);
        if (source.equals(target)) {
            throw new InvalidMessageException("target", "is the same host as source '" + source + "'");
        }
        if (mode == MigrationMode.OFFLINE && !options.persistent()) {
            throw new InvalidMessageException("options.persistent", "offline migration requires persistent");
        }
    }
}
