package org.virtbalancer.deploy.e2e;

import org.virtbalancer.deploy.e2e.FuzzInputs.Target;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One fuzzing campaign: {@code rounds} rounds through every Kafka topic the agents and the balancer
 * consume, then the HTTP API and the CLI, on one {@link FuzzRun}; the heap is read after a full
 * collection before the first round, after the first and after the last, so growth from round to
 * round shows what the cluster keeps of hostile input. {@link FuzzTest} runs a small one in the
 * suite, {@link FuzzBenchmark} the 100,000-input one of BENCHMARKS.md.
 *
 * @param perRound    inputs per topic kind in each Kafka round
 * @param measureHeap whether to read the heap (full collections, a few seconds) before, between and after the rounds
 */
record FuzzCampaign(long seed, int rounds, Map<Target, Integer> perRound, int httpRequests, int cliRuns,
                    Duration settleAtMost, boolean measureHeap) {

    /** What the campaign found; {@link #clean()} when nothing at all. */
    record Report(FuzzCampaign campaign, List<FuzzRun.KafkaRound> rounds, FuzzHttp.Result http, FuzzCli.Result cli,
                  long heapBeforeMiB, long heapAfterFirstMiB, long heapAfterMiB, long logErrors, long brokerLogErrors, List<LogCapture.Event> logSamples,
                  Map<String, Long> cliFailures, long uncaught, String stillWorking, long totalMillis) {
        long kafkaInputs() {
            return rounds.stream().mapToLong(FuzzRun.KafkaRound::total).sum();
        }

        long total() {
            return kafkaInputs() + http.requests() + cli.runs();
        }

        Map<String, Long> perConsumer() {
            Map<String, Long> m = new LinkedHashMap<>();
            for (FuzzRun.KafkaRound r : rounds) {
                r.sent().forEach((t, n) -> m.merge(t.name().toLowerCase().replace('_', '-'), (long) n, Long::sum));
            }
            m.put("http-api", (long) http.requests());
            m.put("cli", (long) cli.runs());
            return m;
        }

        List<String> cliProgrammingErrors() {
            return cliFailures.entrySet().stream()
                    .filter(e -> FuzzCli.PROGRAMMING_ERRORS.stream().anyMatch(c -> e.getKey().contains(c)))
                    .map(e -> e.getKey() + " x" + e.getValue()).toList();
        }

        boolean clean() {
            return rounds.stream().allMatch(FuzzRun.KafkaRound::clean) && http.clean() && cli.clean() && logErrors == 0
                    && uncaught == 0 && cliProgrammingErrors().isEmpty() && !stillWorking.startsWith("NOT WORKING");
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("fuzz seed %d: %,d inputs in %.1f s (%s)%n", campaign.seed(), total(), totalMillis / 1000.0,
                    perConsumer().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))));
            for (int i = 0; i < rounds.size(); i++) {
                FuzzRun.KafkaRound r = rounds.get(i);
                sb.append(String.format("  kafka round %d: %,d records (%.1f MB) in %.1f s (produced in %.1f s), %,d rejected -> %,d dead letters expected,"
                                + " %,d seen, %d missing, %d without reason, %d unexpected; %,d commands answered of %,d"
                                + " (%d missing, %d rejections without reason); %d valid control messages refused; send failures %d; by %s%n",
                        i + 1, r.total(), r.bytes() / 1e6, r.millis() / 1000.0, r.producedMillis() / 1000.0, r.rejectedInputs(), r.expectedLetters(), r.lettersSeen(),
                        r.missingLetters(), r.emptyReasons(), r.unexpectedLetters(),
                        r.commandsExpectingResult() - r.missingResults(), r.commandsExpectingResult(), r.missingResults(),
                        r.resultsWithoutReason(), r.refusedControl(), r.sendFailures(), r.rejectedBy()));
                sb.append("    last answer, ms after the first record: ").append(r.lastMillis()).append("; heap after GC ")
                        .append(r.heapAfterMiB()).append(" MiB\n");
                r.missingSamples().forEach(s -> sb.append("    missing: ").append(s).append('\n'));
                r.unexpectedSamples().forEach(s -> sb.append("    unexpected: ").append(s).append('\n'));
            }
            sb.append(String.format("  http: %,d requests (%d raw) in %.1f s, statuses %s, %d failures, %d raw unanswered, %d resent on a new"
                            + " connection after the server closed the old one, %d with a request line over 4 KiB closed"
                            + " without a readable answer%n", http.requests(), http.raw(), http.millis() / 1000.0,
                    http.statuses(), http.failures(), http.rawUnanswered(), http.resent(), http.closedTooLong()));
            http.failureSamples().forEach(s -> sb.append("    http: ").append(s).append('\n'));
            sb.append(String.format("  cli: %,d runs (%d executed, %d parsed only) in %.1f s, exits %s, %d failures, %d"
                            + " interrupted; failed commands by exception %s%n", cli.runs(), cli.executed(), cli.parsedOnly(),
                    cli.millis() / 1000.0, cli.exits(), cli.failures(), cli.interrupted(), cliFailures));
            cli.failureSamples().forEach(s -> sb.append("    cli: ").append(s).append('\n'));
            sb.append(String.format("  log: %d errors or exceptions (and %d from the in-process broker, not judged); uncaught: %d%n",
                    logErrors, brokerLogErrors, uncaught));
            logSamples.forEach(e -> sb.append("    log: ").append(e).append('\n'));
            sb.append(String.format("  heap after GC: %d MiB before, %d MiB after round 1, %d MiB at the end%n",
                    heapBeforeMiB, heapAfterFirstMiB, heapAfterMiB));
            sb.append("  afterwards: ").append(stillWorking).append('\n');
            return sb.toString();
        }
    }

    static Map<Target, Integer> mix(int hostLoad, int domainEvents, int commandResults, int control, int inventory,
                                    int commands) {
        Map<Target, Integer> m = new EnumMap<>(Target.class);
        m.put(Target.HOST_LOAD, hostLoad);
        m.put(Target.DOMAIN_EVENTS, domainEvents);
        m.put(Target.COMMAND_RESULTS, commandResults);
        m.put(Target.CONTROL, control);
        m.put(Target.INVENTORY, inventory);
        m.put(Target.COMMANDS, commands);
        return m;
    }

    /** Both APIs and vbal still answer. */
    private static String answering(FuzzRun run) throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        for (String api : List.of(run.apiUrl(), run.readOnlyApiUrl())) {
            int status = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(api + "/api/status")).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 200) {
                throw new AssertionError("GET " + api + "/api/status answered " + status);
            }
        }
        InProcessVbal.Run status = new InProcessVbal(run.kafka.bootstrapServers(), run.topics.prefix(), run.apiUrl(),
                run.tokenFile).run("status");
        if (status.exit() != 0) {
            throw new AssertionError("vbal status: " + status.all());
        }
        return "both APIs answer GET /api/status, vbal status exits 0";
    }

    /** Something to do on the started cluster before the rounds, and to check after them. */
    interface Hook {
        void before(FuzzRun run) throws Exception;

        default void after(FuzzRun run) throws Exception {}
    }

    Report run(EmbeddedKafka broker) throws Exception {
        return run(broker, run -> {});
    }

    Report run(EmbeddedKafka broker, Hook hook) throws Exception {
        long started = System.nanoTime();
        try (FuzzRun run = FuzzRun.start(broker, seed)) {
            run.logs.reset();
            hook.before(run);
            run.measureHeap(measureHeap);
            long before = measureHeap ? FuzzRun.heapUsedMiB() : -1;
            List<FuzzRun.KafkaRound> done = new ArrayList<>();
            long afterFirst = 0;
            for (int i = 0; i < rounds; i++) {
                done.add(run.kafkaRound(perRound, settleAtMost));
                if (i == 0) {
                    afterFirst = done.get(0).heapAfterMiB();
                }
            }
            FuzzHttp.Result http = new FuzzHttp(run.inputs, run.apiUrl(), run.readOnlyApiUrl()).run(httpRequests);
            FuzzCli.Result cli = new FuzzCli(run.inputs, run).run(cliRuns);
            String alive;
            try {
                alive = run.checkStillWorking(Duration.ofSeconds(90)) + "; " + answering(run);
            } catch (Exception | AssertionError e) {
                alive = "NOT WORKING: " + e;
            }
            hook.after(run);
            long after = measureHeap ? FuzzRun.heapUsedMiB() : -1;
            return new Report(this, done, http, cli, before, afterFirst, after, run.logs.count(), run.logs.brokerErrors(), run.logs.events(),
                    run.logs.cliFailures(), run.uncaught.get(), alive, (System.nanoTime() - started) / 1_000_000);
        }
    }
}
