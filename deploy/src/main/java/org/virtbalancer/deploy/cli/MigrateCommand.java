package org.virtbalancer.deploy.cli;

import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.InvalidMessageException;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.protocol.RequestOutcome;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;
import org.virtbalancer.protocol.VirshMigrate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code vbal migrate GUEST --to HOST [virsh's options]}: one migration an operator asks for, with
 * {@code virsh migrate}'s option names and meanings, checked by the balancer leader against every
 * eligibility rule and run by its executor. Blocks until the migration has ended, as virsh does.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Migrate one guest to another host, with virsh migrate's options and meanings. The request goes"
                + " to the balancer leader (RequestMigration on the control topic), which checks it against every"
                + " eligibility rule for exactly this kind of move and runs it through its executor (concurrency"
                + " limits, deadline, progress), or refuses it with every failing rule. No option skips a hard rule"
                + " (architecture, a guest of the same name on the target, passthrough devices for live migration).",
                "As in virsh: without --live or --offline the guest is paused while its memory is copied; without"
                        + " --persistent the copy on the target is transient and the source keeps its definition;"
                        + " --persistent --undefinesource is the true move. vbal explain GUEST --target HOST says"
                        + " beforehand whether a host would take it."},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:migrated (with --detach: the leader accepted and started it)",
                "1:refused by the balancer (every failing rule is printed), or the migration failed",
                ExitCode.USAGE_HELP + " (including option combinations virsh refuses)",
                "3:no answer, or not done, within --wait-timeout (the migration goes on; vbal migrations shows it)",
                ExitCode.KAFKA_UNREACHABLE_HELP, ExitCode.UNCONFIRMED_HELP},
        footer = {"%nExamples:",
                "  vbal migrate web-1 --to host-b --live --persistent --undefinesource --verbose",
                "  vbal migrate web-1 --to host-b --live --copy-storage-all --persistent --undefinesource",
                "  vbal migrate old-vm --to host-c --offline --persistent",
                "  vbal migrate db-1 --to host-b --live --auto-converge --timeout 120 --bandwidth 500"})
final class MigrateCommand implements Callable<Integer> {
    /** How long to wait for the leader's answer before saying that no leader seems to run. */
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(60);

    @Mixin ConnectionOptions connection;
    @Mixin SigningOptions signing;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "GUEST", description = "The guest (domain) name")
    String guest;

    @Option(names = "--to", required = true, paramLabel = "HOST", description = "The target host, as vbal hosts lists it")
    String target;

    @Option(names = "--live", description = "Live migration: the guest runs while its memory is copied")
    boolean live;
    @Option(names = "--offline", description = "Move only the definition of a shut-off guest (needs --persistent)")
    boolean offline;
    @Option(names = "--persistent", description = "Keep a persistent definition on the target")
    boolean persistent;
    @Option(names = "--undefinesource", description = "Remove the definition from the source (needs --persistent)")
    boolean undefineSource;
    @Option(names = "--suspend", description = "Leave the guest paused on the target")
    boolean suspend;
    @Option(names = "--copy-storage-all", description = "Copy the disks too (non-shared storage, full copy)")
    boolean copyStorageAll;
    @Option(names = "--copy-storage-inc", description = "Copy the disks too (non-shared storage, incremental copy)")
    boolean copyStorageInc;
    @Option(names = "--parallel", description = "Use several connections for the memory stream")
    boolean parallel;
    @Option(names = "--parallel-connections", paramLabel = "N",
            description = "Number of parallel connections (needs --parallel; default 2)")
    int parallelConnections;
    @Option(names = "--bandwidth", paramLabel = "MiB/s", description = "Cap the migration's bandwidth")
    long bandwidth;
    @Option(names = "--migrateuri", paramLabel = "tcp://ADDRESS[:PORT]",
            description = "The target's migration address to send memory to (must be the target's own)")
    String migrateUri = "";
    @Option(names = "--unsafe", description = "Allow disk cache modes other than none")
    boolean unsafe;
    @Option(names = "--auto-converge", description = "Slow the guest's vCPUs down until a live migration converges")
    boolean autoConverge;
    @Option(names = "--postcopy", description = "Allow switching a live migration to post-copy")
    boolean postCopy;
    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Pause the guest when a live migration has run this long, so it completes")
    long timeout;
    @Option(names = "--timeout-postcopy", description = "At --timeout switch to post-copy instead of pausing")
    boolean timeoutPostCopy;
    @Option(names = "--verbose", description = "Print the migration's progress, as virsh does: Migration: [ 12 %%]")
    boolean verbose;

    @Option(names = "--detach", description = "Return once the leader has accepted and started the migration")
    boolean detach;
    @Option(names = "--wait-timeout", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Give up waiting after this long (default: 30m); the migration goes on")
    Duration waitTimeout = Duration.ofMinutes(30);

    @Override
    public Integer call() {
        String name = Arguments.name("GUEST", guest);
        String to = Arguments.name("HOST", target);
        VirshMigrate options;
        try {
            options = new VirshMigrate(live, offline, persistent, undefineSource, suspend, copyStorageAll, copyStorageInc,
                    parallel, parallelConnections, bandwidth, migrateUri, unsafe, autoConverge, postCopy, timeout,
                    timeoutPostCopy);
        } catch (InvalidMessageException e) {
            throw CommandFailure.usage(e.getMessage().substring(e.getMessage().indexOf(": ") + 2));
        }
        Output output = new Output(spec);
        try (KafkaLink kafka = KafkaLink.open(connection, signing)) {
            Topics topics = kafka.topics();
            kafka.readNew(topics.control(), topics.commandResults());
            String id = UUID.randomUUID().toString();
            RequestMigration request = new RequestMigration(id, name, to, options.mode(), options.options(),
                    System.currentTimeMillis(), "vbal on " + hostName() + " by " + System.getProperty("user.name", "?"));
            kafka.send(request);
            output.line("requested: migrate " + name + " to " + to + (options.commandLine().isEmpty() ? ""
                    : " " + options.commandLine()) + " (request " + id + ")");
            return follow(kafka, request, output);
        }
    }

    private int follow(KafkaLink kafka, RequestMigration request, Output output) {
        String id = request.requestId();
        long started = System.nanoTime();
        long deadline = started + waitTimeout.toNanos();
        long answerBy = started + Math.min(ANSWER_WITHIN.toNanos(), waitTimeout.toNanos());
        RequestOutcome answer = null;
        CommandResult last = null;
        ProgressView progress = verbose ? output.progress() : null;
        int shown = -1;
        while (System.nanoTime() < (answer == null ? answerBy : deadline)) {
            for (Envelope env : kafka.poll(Duration.ofMillis(250))) {
                if (env.body() instanceof RequestOutcome o && o.requestId().equals(id)) {
                    answer = o;
                    if (!o.accepted()) {
                        throw CommandFailure.failed("refused: " + o.reason());
                    }
                    output.line("started: " + o.reason());
                    if (detach) {
                        return ExitCode.OK;
                    }
                } else if (env.body() instanceof CommandResult r && r.commandId().equals(id)) {
                    if (last == null || !last.status().isFinal()) {
                        last = r;
                    }
                }
            }
            if (last == null) {
                continue;
            }
            int percent = last.status() == ResultStatus.SUCCEEDED ? 100 : last.percent();
            if (progress != null && percent != shown) {
                progress.show(java.util.List.of(String.format(Locale.ROOT, "Migration: [%3d %%]", percent)));
                shown = percent;
            }
            if (last.status().isFinal()) {
                if (last.status() != ResultStatus.SUCCEEDED) {
                    throw CommandFailure.failed("migration of " + request.guest() + " to " + request.target() + " "
                            + last.status().name().toLowerCase(Locale.ROOT) + ": " + last.reason());
                }
                output.line(String.format(Locale.ROOT, "migrated %s to %s in %.1f s", request.guest(), request.target(),
                        (System.nanoTime() - started) / 1e9));
                return ExitCode.OK;
            }
        }
        if (answer == null) {
            throw new CommandFailure(ExitCode.TIMEOUT, "no balancer leader answered request " + id + " within "
                    + Figures.elapsed(Math.min(ANSWER_WITHIN.toMillis(), waitTimeout.toMillis())) + "; check that a"
                    + " balancer runs (vbal status). The request stays valid for "
                    + RequestMigration.TTL_MS / 60_000 + " minutes and runs if a leader takes it up by then");
        }
        throw new CommandFailure(ExitCode.TIMEOUT, "gave up waiting after " + Figures.elapsed(waitTimeout.toMillis())
                + ": the migration of " + request.guest() + " goes on; vbal migrations shows it");
    }

    /** This machine's name, for the audit trail; read locally (no name lookup). */
    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        try {
            return Files.readString(Path.of("/etc/hostname")).strip();
        } catch (IOException e) {
            return "an unnamed machine";
        }
    }
}
