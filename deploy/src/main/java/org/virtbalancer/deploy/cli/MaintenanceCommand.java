package org.virtbalancer.deploy.cli;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.InvalidMessageException;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.Message;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code vbal maintenance enter|exit|status HOST}: one control message, then (optionally) follow the drain. */
@Command(name = "maintenance", description = "Put a host into maintenance, return it to service, or show where it stands.",
        mixinStandardHelpOptions = true,
        subcommands = {MaintenanceCommand.Enter.class, MaintenanceCommand.Exit.class, MaintenanceCommand.Status.class})
public final class MaintenanceCommand {
    static final int EXIT_OK = 0;
    static final int EXIT_TIMEOUT = 3;
    static final int EXIT_CANCELLED = 4;
    static final int EXIT_UNREACHABLE = 5;

    @Command(name = "enter", mixinStandardHelpOptions = true,
            description = "Stop placing guests on HOST and move every guest off it (EnterMaintenance).%n"
                    + "Exit codes: 0 sent (or, with --wait, host in maintenance); 3 --timeout passed; "
                    + "4 maintenance was cancelled meanwhile; 5 Kafka unreachable.")
    static final class Enter implements Callable<Integer> {
        @Mixin ConnectionOptions connection;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "HOST", description = "Host id, as the agents report it") String host;
        @Option(names = "--reason", description = "Why, for the audit trail") String reason = "";
        @Option(names = "--wait", description = "Follow the drain and return when the host is IN_MAINTENANCE") boolean await;
        @Option(names = "--timeout", converter = DurationConverter.class, description = "With --wait: give up after this long (default: ${DEFAULT-VALUE})")
        Duration timeout = Duration.ofMinutes(30);

        @Override
        public Integer call() {
            Output output = new Output(spec);
            String h = validHost(host, output);
            if (h == null) return 2;
            return send(connection.settings(), h, new EnterMaintenance(h, reason), await, timeout, output);
        }
    }

    @Command(name = "exit", mixinStandardHelpOptions = true,
            description = "Return HOST to service (ExitMaintenance). Moves already in flight finish; no new ones start.")
    static final class Exit implements Callable<Integer> {
        @Mixin ConnectionOptions connection;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "HOST") String host;
        @Option(names = "--wait", description = "Return when the balancer reports the host ACTIVE") boolean await;
        @Option(names = "--timeout", converter = DurationConverter.class, description = "With --wait: give up after this long (default: ${DEFAULT-VALUE})")
        Duration timeout = Duration.ofMinutes(2);

        @Override
        public Integer call() {
            Output output = new Output(spec);
            String h = validHost(host, output);
            if (h == null) return 2;
            return send(connection.settings(), h, new ExitMaintenance(h), await, timeout, output);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the last maintenance status the balancer published for HOST.")
    static final class Status implements Callable<Integer> {
        @Mixin ConnectionOptions connection;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "HOST") String host;

        @Override
        public Integer call() {
            Output output = new Output(spec);
            String h = validHost(host, output);
            if (h == null) return 2;
            KafkaSettings settings = connection.settings();
            try (KafkaConsumer<String, byte[]> consumer = consumer(settings)) {
                List<TopicPartition> parts = partitions(consumer, settings.topics().decisions());
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
                Map<TopicPartition, Long> end = consumer.endOffsets(parts);
                Optional<MaintenanceStatus> last = Optional.empty();
                Codec codec = new Codec();
                while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        Optional<MaintenanceStatus> s = statusOf(codec, r.value(), h);
                        if (s.isPresent()) last = s;
                    }
                }
                if (last.isEmpty()) {
                    output.line(h + ": ACTIVE (the balancer has published no maintenance status for it)");
                } else {
                    output.status(last.get());
                }
                return EXIT_OK;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                output.error("cannot reach Kafka at " + settings.bootstrapServers()
                        + ": start the demo (deploy/bin/vbal demo) or pass --bootstrap HOST:PORT");
                return EXIT_UNREACHABLE;
            }
        }
    }

    private static String validHost(String host, Output output) {
        try {
            return Check.name("HOST", host);
        } catch (InvalidMessageException e) {
            output.error(e.getMessage());
            return null;
        }
    }

    private static int send(KafkaSettings settings, String host, Message control, boolean await, Duration timeout,
                            Output output) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(settings);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(new HashMap<>(settings.producer("vbal-cli")))) {
            Codec codec = new Codec();
            // Position the status reader before sending, so no status published after the request is missed.
            List<TopicPartition> parts = await ? partitions(consumer, settings.topics().decisions()) : List.of();
            if (await) {
                consumer.assign(parts);
                consumer.seekToEnd(parts);
                parts.forEach(consumer::position);
            }
            Envelope env = Envelope.of("operator:" + System.getProperty("user.name", "cli"), control, System.currentTimeMillis());
            producer.send(new ProducerRecord<>(settings.topics().control(), host, codec.encode(env))).get(30, TimeUnit.SECONDS);
            output.line("sent " + env.type().wireName() + " for " + host + " (message " + env.id() + ")");
            if (!await) {
                return EXIT_OK;
            }
            MaintenanceState goal = control instanceof EnterMaintenance ? MaintenanceState.IN_MAINTENANCE : MaintenanceState.ACTIVE;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    Optional<MaintenanceStatus> s = statusOf(codec, r.value(), host);
                    if (s.isEmpty()) continue;
                    output.status(s.get());
                    if (s.get().state() == goal) {
                        return EXIT_OK;
                    }
                    if (goal == MaintenanceState.IN_MAINTENANCE && s.get().state() == MaintenanceState.ACTIVE) {
                        output.error(host + " was returned to service before the drain finished");
                        return EXIT_CANCELLED;
                    }
                }
            }
            output.error("gave up after " + timeout + ": " + host + " is not " + goal
                    + " yet; the drain goes on — check with: vbal maintenance status " + host);
            return EXIT_TIMEOUT;
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException
                 | org.apache.kafka.common.errors.TimeoutException e) {
            output.error("cannot reach Kafka at " + settings.bootstrapServers()
                    + ": start the demo (deploy/bin/vbal demo) or pass --bootstrap HOST:PORT (" + e.getMessage() + ")");
            return EXIT_UNREACHABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_CANCELLED;
        }
    }

    private static Optional<MaintenanceStatus> statusOf(Codec codec, byte[] value, String host) {
        if (codec.decode(value) instanceof Decoded.Ok ok && ok.envelope().body() instanceof MaintenanceStatus s
                && s.host().equals(host)) {
            return Optional.of(s);
        }
        return Optional.empty();
    }

    private static KafkaConsumer<String, byte[]> consumer(KafkaSettings settings) {
        Map<String, Object> c = new HashMap<>(settings.consumer("vbal-cli", "unused"));
        c.remove("group.id");
        c.put("default.api.timeout.ms", "15000");
        return new KafkaConsumer<>(c);
    }

    private static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(15));
        if (infos == null || infos.isEmpty()) {
            throw new org.apache.kafka.common.errors.TimeoutException("topic " + topic + " does not exist yet");
        }
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    /** Prints to the command's own streams, so tests can capture them. */
    static final class Output {
        private final CommandSpec spec;

        Output(CommandSpec spec) {
            this.spec = spec;
        }

        PrintWriter out() { return spec.commandLine().getOut(); }

        void line(String s) {
            out().println(s);
            out().flush();
        }

        void error(String s) {
            spec.commandLine().getErr().println("error: " + s);
            spec.commandLine().getErr().flush();
        }

        void status(MaintenanceStatus s) {
            int done = s.total() - s.remaining();
            int width = 30;
            int filled = s.total() == 0 ? width : (int) Math.round(width * (double) done / s.total());
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("%-16s %-15s [%s%s] %d/%d moved", s.host(), s.state(), "#".repeat(filled),
                    ".".repeat(width - filled), done, s.total()));
            if (!s.migrating().isEmpty()) sb.append(", migrating: ").append(String.join(" ", s.migrating()));
            s.blocked().forEach(b -> sb.append(System.lineSeparator()).append("    blocked ").append(b.guest())
                    .append(": ").append(b.reason()));
            if (!s.message().isEmpty()) sb.append(System.lineSeparator()).append("    ").append(s.message());
            line(sb.toString());
        }
    }
}
