package org.virtbalancer.deploy.cli;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.virtbalancer.deploy.topics.TopicSetup;
import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.InvalidMessageException;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/** {@code vbal topics create|list}: virt-balancer's topics, made ahead of time with the settings they need. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Create every topic virt-balancer uses, with its partitions, compaction and retention; or list them.",
        subcommands = {TopicsCommand.Create.class, TopicsCommand.ListTopics.class})
public final class TopicsCommand {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_BAD_ARGUMENTS = 2;
    static final int EXIT_UNREACHABLE = 5;
    /** What Kafka accepts as a topic name. */
    private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    /** Options both subcommands share: where Kafka is and how long to wait for it. */
    static final class Common {
        @Mixin ConnectionOptions connection;

        @Option(names = "--timeout", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "Give up when Kafka has not answered within this long (default: 30s)")
        Duration timeout = Duration.ofSeconds(30);
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create every topic of the topic prefix that is missing, and the command topic of each host"
                    + " given; set the cleanup policy, retention and min.insync.replicas of those that exist. Run it"
                    + " again at will:"
                    + " what exists is reported and kept at these settings."},
            exitCodeListHeading = ExitCode.HEADING,
            exitCodeList = {"0:done: every topic exists with these settings", "1:Kafka refused (e.g. no CREATE right)",
                    ExitCode.USAGE_HELP, ExitCode.KAFKA_UNREACHABLE_HELP},
            footer = {"%nExamples:", "  vbal topics create --bootstrap kafka1:9092 --replication-factor 3",
                    "  vbal topics create --bootstrap kafka1:9092 --replication-factor 5 --min-insync-replicas 3",
                    "  vbal topics create --hosts-file /etc/virt-balancer/hosts --partitions 12"})
    static final class Create implements Callable<Integer> {
        private static final Topics.Layout DEFAULTS = Topics.Layout.defaults();

        @Mixin Common common;
        @Spec CommandSpec spec;

        @Option(names = "--partitions", paramLabel = "N",
                description = "Partitions of inventory, host-load, domain-events and command-results; the other topics"
                        + " have one (default: ${DEFAULT-VALUE})")
        int partitions = DEFAULTS.partitions();

        @Option(names = "--replication-factor", paramLabel = "N",
                description = "Replicas of every partition; -1 takes the broker's default.replication.factor. Use 3 on"
                        + " a production cluster (default: ${DEFAULT-VALUE})")
        int replicationFactor = DEFAULTS.replicationFactor();

        @Option(names = "--min-insync-replicas", paramLabel = "N",
                description = "min.insync.replicas of every topic: replicas that must have a record before an"
                        + " acks=all write of it succeeds, 1 up to --replication-factor. Default: the replication"
                        + " factor - 1 from 3 up (2 of 3), else 1; with the broker's replication, the broker's")
        int minInsyncReplicas = DEFAULTS.minInsyncReplicas();

        @Option(names = "--load-retention", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "How long host-load samples are kept (default: 1d)")
        Duration loadRetention = DEFAULTS.loadRetention();

        @Option(names = "--events-retention", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "How long domain events are kept (default: 7d)")
        Duration eventsRetention = DEFAULTS.eventsRetention();

        @Option(names = "--command-retention", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "How long commands and their results are kept; a starting balancer reads them all, so"
                        + " keep it short, but above 2h (default: 1d)")
        Duration commandRetention = DEFAULTS.commandRetention();

        @Option(names = "--decisions-retention", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "How long plans, recommendations and maintenance status are kept (default: 7d)")
        Duration decisionsRetention = DEFAULTS.decisionsRetention();

        @Option(names = "--dead-letter-retention", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "How long rejected input is kept (default: 7d)")
        Duration deadLetterRetention = DEFAULTS.deadLetterRetention();

        @Option(names = "--hosts", split = ",", paramLabel = "HOST",
                description = "Hosts whose command topics to create, comma-separated (agents create their own when"
                        + " missing, if allowed to)")
        List<String> hosts = new ArrayList<>();

        @Option(names = "--hosts-file", paramLabel = "FILE",
                description = "File of hosts whose command topics to create: one host id per line, # starts a comment")
        Path hostsFile;

        @Override
        public Integer call() throws InterruptedException {
            Output out = new Output(spec);
            KafkaSettings settings;
            Topics.Layout layout;
            List<Topics.Spec> specs = new ArrayList<>();
            try {
                settings = common.connection.settings();
                if (minInsyncReplicas != -1 && replicationFactor == -1) {
                    throw new IllegalArgumentException("--min-insync-replicas " + minInsyncReplicas + " needs"
                            + " --replication-factor too, to be checked against it: give both, e.g."
                            + " --replication-factor 3 --min-insync-replicas 2");
                }
                layout = new Topics.Layout(partitions, replicationFactor, minInsyncReplicas, loadRetention, eventsRetention,
                        commandRetention, decisionsRetention, deadLetterRetention);
                specs.addAll(settings.topics().shared(layout));
                for (String host : hosts()) {
                    specs.add(settings.topics().commandsSpec(host, layout));
                }
                for (Topics.Spec s : specs) {
                    if (!TOPIC_NAME.matcher(s.name()).matches()) {
                        throw new IllegalArgumentException("'" + s.name() + "' cannot be a Kafka topic name, which holds"
                                + " 1-249 letters, digits, '.', '_' or '-': rename the host or change --prefix");
                    }
                }
            } catch (IllegalArgumentException e) {
                out.error(e.getMessage());
                return EXIT_BAD_ARGUMENTS;
            } catch (InvalidMessageException e) {
                out.error(asOption(e));
                return EXIT_BAD_ARGUMENTS;
            }
            try (TopicSetup setup = new TopicSetup(settings, common.timeout)) {
                List<TopicSetup.Outcome> outcomes = setup.ensure(specs);
                int width = specs.stream().mapToInt(s -> s.name().length()).max().orElse(10);
                for (TopicSetup.Outcome o : outcomes) {
                    out.line(String.format("%-" + width + "s  %-7s  %s", o.state().name(), o.action().name().toLowerCase(),
                            describe(o.state())));
                    o.changes().forEach(c -> out.line(" ".repeat(width + 11) + "set " + c));
                    o.notes().forEach(n -> out.line(" ".repeat(width + 11) + "note: " + n));
                }
                long created = outcomes.stream().filter(o -> o.action() == TopicSetup.Action.CREATED).count();
                long updated = outcomes.stream().filter(o -> o.action() == TopicSetup.Action.UPDATED).count();
                out.line(outcomes.size() + " topics under prefix '" + settings.topics().prefix() + "' at "
                        + settings.bootstrapServers() + ": " + created + " created, " + (outcomes.size() - created)
                        + " existed (" + updated + " of them updated)");
                return EXIT_OK;
            } catch (RuntimeException e) {
                return out.failure(e, settings);
            }
        }

        /** --hosts then --hosts-file, each host once, each a valid host name. */
        private List<String> hosts() {
            Set<String> all = new LinkedHashSet<>();
            hosts.forEach(h -> all.add(h.trim()));
            if (hostsFile != null) {
                List<String> lines;
                try {
                    lines = Files.readAllLines(hostsFile);
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read --hosts-file " + hostsFile + " (" + e.getMessage()
                            + "): give a readable file with one host id per line");
                }
                for (String line : lines) {
                    String host = line.replaceFirst("#.*", "").trim();
                    if (!host.isEmpty()) {
                        all.add(host);
                    }
                }
            }
            for (String h : all) {
                try {
                    Check.name("host", h);
                } catch (InvalidMessageException e) {
                    throw new IllegalArgumentException(e.getMessage());
                }
            }
            return List.copyOf(all);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the topics of the topic prefix with their partitions, replication, min.insync.replicas,"
                    + " cleanup policy and retention, and name those that are missing."},
            exitCodeListHeading = ExitCode.HEADING,
            exitCodeList = {"0:listed (even when some are missing)", "1:Kafka refused", ExitCode.USAGE_HELP,
                    ExitCode.KAFKA_UNREACHABLE_HELP},
            footer = {"%nExamples:", "  vbal topics list", "  vbal topics list --prefix vb. --bootstrap kafka1:9092"})
    static final class ListTopics implements Callable<Integer> {
        @Mixin Common common;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            Output out = new Output(spec);
            KafkaSettings settings;
            try {
                settings = common.connection.settings();
            } catch (InvalidMessageException e) {
                out.error(asOption(e));
                return EXIT_BAD_ARGUMENTS;
            }
            try (TopicSetup setup = new TopicSetup(settings, common.timeout)) {
                List<TopicSetup.TopicState> states = setup.list(settings.topics().prefix());
                Set<String> present = new LinkedHashSet<>();
                states.forEach(s -> present.add(s.name()));
                List<String> missing = settings.topics().shared().stream().map(Topics.Spec::name)
                        .filter(n -> !present.contains(n)).toList();
                int width = Math.max(5, states.stream().mapToInt(s -> s.name().length()).max().orElse(0));
                out.line(String.format("%-" + width + "s  %10s  %11s  %7s  %s", "TOPIC", "PARTITIONS", "REPLICATION",
                        "MIN-ISR", "CLEANUP"));
                for (TopicSetup.TopicState s : states) {
                    out.line(String.format("%-" + width + "s  %10d  %11d  %7s  %s", s.name(), s.partitions(),
                            s.replicationFactor(), minIsr(s), cleanup(s)));
                }
                out.line(states.size() + " topics under prefix '" + settings.topics().prefix() + "' at "
                        + settings.bootstrapServers() + (missing.isEmpty() ? ""
                        : "; missing: " + String.join(", ", missing) + " (vbal topics create makes them)"));
                return EXIT_OK;
            } catch (RuntimeException e) {
                return out.failure(e, settings);
            }
        }
    }

    /** A settings field's complaint as one about its option: {@code loadRetention: must …} becomes {@code --load-retention must …}. */
    static String asOption(InvalidMessageException e) {
        String problem = e.getMessage().substring(e.field().length() + 2);
        return "--" + e.field().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase() + " " + problem;
    }

    /** e.g. {@code 3 partitions, replication 3, min.insync.replicas 2, delete after 1d}. */
    static String describe(TopicSetup.TopicState s) {
        return s.partitions() + (s.partitions() == 1 ? " partition" : " partitions") + ", replication "
                + s.replicationFactor() + ", min.insync.replicas " + minIsr(s) + ", " + cleanup(s);
    }

    /** The number, or {@code ?} when the broker did not report it. */
    private static String minIsr(TopicSetup.TopicState s) {
        return s.minInsyncReplicas() < 0 ? "?" : String.valueOf(s.minInsyncReplicas());
    }

    /** {@code compact}, or {@code delete after 7d} (or {@code delete, kept forever}). */
    static String cleanup(TopicSetup.TopicState s) {
        if (s.compacted()) {
            return s.configs().get(Topics.CLEANUP_POLICY);
        }
        String ms = s.configs().get(Topics.RETENTION_MS);
        if (ms == null) {
            return "delete";
        }
        long millis = Long.parseLong(ms);
        return millis < 0 ? "delete, kept forever" : "delete after " + DurationConverter.format(Duration.ofMillis(millis));
    }

    /** Prints to the command's own streams, so tests can capture them. */
    private static final class Output {
        private final CommandSpec spec;

        Output(CommandSpec spec) {
            this.spec = spec;
        }

        void line(String s) {
            PrintWriter out = spec.commandLine().getOut();
            out.println(s);
            out.flush();
        }

        void error(String s) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("error: " + s);
            err.flush();
        }

        /** One sentence for what Kafka said; the exit code that goes with it. */
        int failure(RuntimeException e, KafkaSettings settings) {
            if (e instanceof TopicSetup.UnreachableException) {
                error("cannot reach Kafka: " + e.getMessage() + "; check --bootstrap (or VB_BOOTSTRAP) and that the"
                        + " brokers run, or wait longer with --timeout");
                return EXIT_UNREACHABLE;
            }
            if (e instanceof AuthenticationException a) {
                error(KafkaLink.refusedCredentials(settings.bootstrapServers(), a));
                return EXIT_FAILED;
            }
            if (e instanceof AuthorizationException) {
                error("Kafka at " + settings.bootstrapServers() + " refused: " + e.getMessage() + "; run this as a"
                        + " principal allowed to create and configure topics (CREATE, DESCRIBE_CONFIGS, ALTER_CONFIGS)");
                return EXIT_FAILED;
            }
            if (e instanceof InvalidTopicException) {
                error("Kafka at " + settings.bootstrapServers() + " refused a topic name: " + e.getMessage());
                return EXIT_BAD_ARGUMENTS;
            }
            throw e;
        }
    }
}
