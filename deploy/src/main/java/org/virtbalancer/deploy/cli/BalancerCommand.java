package org.virtbalancer.deploy.cli;

import io.vertx.core.Vertx;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.plan.MigrationChoice;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.balancer.service.BalancerVerticle;
import org.virtbalancer.balancer.service.CommandSigning;
import org.virtbalancer.balancer.service.Membership;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;

/** {@code vbal balancer}: one balancer process against an existing Kafka cluster. */
@Command(name = "balancer", mixinStandardHelpOptions = true,
        description = "Run a balancer: reads host load and inventory, issues migrations, runs maintenance drains.",
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:stopped", "1:failed to start (Kafka, the cluster port or the API port)", ExitCode.USAGE_HELP},
        footer = {"%nExamples:", "  vbal balancer --bootstrap kafka-1:9092",
                "  vbal balancer --id b1 --members 10.0.0.1:5701,10.0.0.2:5701 --cluster-host 10.0.0.1"})
public final class BalancerCommand implements Callable<Integer> {
    @Mixin ConnectionOptions connection;
    @Mixin SigningOptions signing;

    @Option(names = "--require-signed-control",
            description = "Act only on control messages (maintenance, automation, approvals, migration requests) signed"
                    + " with a key of --signing-key-file; others go to the dead-letter topic")
    boolean requireSignedControl;

    @Option(names = "--id", description = "Instance name (default: ${DEFAULT-VALUE})")
    String id = "b1";

    @Option(names = "--high", description = "High watermark, normalised load (default: ${DEFAULT-VALUE})")
    double high = BalancerSettings.defaults().highWatermark();

    @Option(names = "--low", description = "Low watermark (default: ${DEFAULT-VALUE})")
    double low = BalancerSettings.defaults().lowWatermark();

    @Option(names = "--memory-watermark", paramLabel = "SHARE",
            description = "Memory given to running guests above this share of a host is overload, and no target is"
                    + " filled beyond it (default: ${DEFAULT-VALUE})")
    double memoryWatermark = BalancerSettings.defaults().memoryWatermark();

    @Option(names = "--target-imbalance", paramLabel = "STDDEV",
            description = "Spread hosts' expected CPU load while its standard deviation is above this; 0 turns"
                    + " imbalance moves off (default: ${DEFAULT-VALUE})")
    double targetImbalance = BalancerSettings.defaults().targetImbalance();

    @Option(names = "--burst-weight", paramLabel = "Z",
            description = "Imbalance counts a host's expected CPU plus Z standard deviations of its guests' swings"
                    + " (default: ${DEFAULT-VALUE})")
    double burstWeight = BalancerSettings.defaults().burstWeight();

    @Option(names = "--forecast-window", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Time constant of each guest's expected CPU, the long mean imbalance moves balance"
                    + " (default: 90m)")
    Duration forecastWindow = BalancerSettings.defaults().forecastWindow();

    @Option(names = "--no-spike-relief",
            description = "Relieve a hot host only once 3 of its last 5 samples were hot, not as soon as one was")
    boolean noSpikeRelief;

    @Option(names = "--balancing-fallbacks", split = ",", paramLabel = "WAY",
            description = "When a balancing move would not converge live, what it may use: any of auto-converge,"
                    + " post-copy, pause, or none (default: auto-converge)")
    List<String> fallbacks = List.of("auto-converge");

    @Option(names = "--members", split = ",", paramLabel = "HOST:PORT",
            description = "Every balancer of the cluster (this one included), comma-separated: they elect one leader"
                    + " among themselves; without it this balancer runs alone and always leads")
    List<String> members = List.of();

    @Option(names = "--cluster-host", paramLabel = "ADDRESS",
            description = "Address this balancer's cluster member binds to (default: ${DEFAULT-VALUE})")
    String clusterHost = "127.0.0.1";

    @Option(names = "--cluster-port", paramLabel = "PORT",
            description = "Port of this balancer's cluster member (default: ${DEFAULT-VALUE})")
    int clusterPort = Membership.DEFAULT_PORT;

    @Option(names = "--cluster-outbound-ports", paramLabel = "FROM-TO",
            description = "Local ports this balancer's cluster member connects from (default: any), so a firewall"
                    + " can tell its cluster traffic apart")
    String clusterOutboundPorts = "";

    @Option(names = "--tick", converter = DurationConverter.class, description = "How often to decide (default: ${DEFAULT-VALUE})")
    Duration tick = Duration.ofSeconds(1);

    @Option(names = "--http-host", paramLabel = "ADDRESS",
            description = "Address the HTTP API and live page bind to (default: ${DEFAULT-VALUE}). On loopback reads"
                    + " are open; on any other address every request needs the token")
    String httpHost = "127.0.0.1";

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "File holding the bearer token API writes (maintenance, automation, approvals) must carry,"
                    + " at least " + ApiEndpoint.MIN_TOKEN_LENGTH + " characters (default: $VB_API_TOKEN; without"
                    + " either the API takes no writes)")
    Path apiTokenFile;

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "HTTP API port, which also serves GET /metrics for Prometheus (default: ${DEFAULT-VALUE});"
                    + " 0 takes any free port, -1 runs no API and no metrics")
    int httpPort = ApiEndpoint.DEFAULT_PORT;

    static MigrationChoice.Fallbacks fallbacks(List<String> ways) {
        boolean auto = false;
        boolean post = false;
        boolean pause = false;
        for (String w : ways) {
            switch (w.trim()) {
                case "auto-converge" -> auto = true;
                case "post-copy" -> post = true;
                case "pause" -> pause = true;
                case "none" -> { }
                default -> throw new IllegalArgumentException("--balancing-fallbacks takes auto-converge, post-copy,"
                        + " pause or none, comma-separated; got '" + w + "'.");
            }
        }
        return new MigrationChoice.Fallbacks(auto, post, pause);
    }

    /** How this balancer signs: with --signing-key-file, commands and control messages; else nothing. */
    CommandSigning signing() {
        var keys = signing.keys();
        if (keys.isEmpty()) {
            if (requireSignedControl) {
                throw CommandFailure.usage("--require-signed-control needs the keys to check signatures with: give"
                        + " --signing-key-file");
            }
            return CommandSigning.NONE;
        }
        return CommandSigning.with(keys.get(), signing.id()).requiringSignedControl(requireSignedControl);
    }

    @Override
    public Integer call() throws Exception {
        if (!(0 < low && low < high && high <= 2)) {
            throw new IllegalArgumentException("watermarks must satisfy 0 < --low < --high <= 2; got low " + low + ", high " + high);
        }
        BalancerSettings defaults = BalancerSettings.defaults();
        BalancerSettings settings = defaults.withWatermarks(high, low).withMemoryWatermark(memoryWatermark)
                .withImbalance(targetImbalance, defaults.minImbalanceGain()).withBurstWeight(burstWeight)
                .withBalancingFallbacks(fallbacks(fallbacks)).withForecastWindow(forecastWindow)
                .withSpikeRelief(!noSpikeRelief);
        BalancerConfig config = BalancerConfig.of(id, connection.settings()).withSettings(settings).withTick(tick)
                .withApi(ApiEndpoint.on(httpHost, httpPort, ApiToken.read(apiTokenFile, System.getenv("VB_API_TOKEN"))))
                .withMembership(new Membership(clusterHost, clusterPort, members, clusterOutboundPorts))
                .withSigning(signing());
        Vertx vertx = Vertx.vertx();
        CountDownLatch stopped = new CountDownLatch(1);
        BalancerVerticle balancer = new BalancerVerticle(config, Clock.systemUTC(), ProcessMetrics.registry());
        try {
            vertx.deployVerticle(balancer).toCompletionStage().toCompletableFuture().get();
        } catch (ExecutionException e) {
            vertx.close();
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        System.out.println("balancer " + id + " running against " + config.kafka().bootstrapServers() + "; Ctrl-C stops it");
        balancer.apiUrl().ifPresent(url -> {
            System.out.println("api: " + url + "  (vbal status, vbal plan, vbal explain GUEST)");
            System.out.println("dashboard: " + url + "/ui/");
            System.out.println("metrics: " + url + "/metrics");
        });
        System.out.println("cluster: " + (members.isEmpty() ? "this balancer alone; it leads" : balancer.membershipSummary()));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            vertx.close().toCompletionStage().toCompletableFuture().join();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
