package org.virtbalancer.deploy.e2e;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.AgentVerticle;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark, not part of the suite (surefire excludes *Benchmark): what N simulated hosts cost in
 * one JVM, as N one-host agents (one {@link AgentVerticle} each, with its own producer and two
 * consumers) and as one fleet ({@link AgentVerticle#fleet}). Each size runs in a fresh broker;
 * the broker runs in the same JVM, so every figure includes it.
 *
 * <pre>mvn -B -pl deploy -am verify -Dtest=AgentDensityBenchmark -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * <p>{@code bench.hosts} (comma-separated, default 50,100), {@code bench.modes} (default
 * verticles,fleet). 20 guests per host at 0.3 cores, samples every 10 s. Idle CPU (the whole JVM,
 * broker included) is measured over 30 s, 15 s after the start; threads are the JVM's live threads.
 * Writes deploy/target/agent-density-benchmark.txt.
 */
class AgentDensityBenchmark {
    @Test
    void oneHostAgentsAgainstOneFleet() throws Exception {
        List<Integer> sizes = Arrays.stream(System.getProperty("bench.hosts", "50,100").split(",")).map(Integer::parseInt).toList();
        List<String> modes = List.of(System.getProperty("bench.modes", "verticles,fleet").split(","));
        StringBuilder out = new StringBuilder("| hosts | layout | start s | threads | idle CPU, cores | heap after GC MiB |\n"
                + "|---:|---|---:|---:|---:|---:|\n");
        for (int n : sizes) {
            for (String mode : modes) {
                String row = measure(n, mode.equals("fleet"));
                System.out.println(row);
                out.append(row).append('\n');
            }
        }
        System.out.print(out);
        Files.writeString(Path.of("target", "agent-density-benchmark.txt"), out.toString());
    }

    private static String measure(int n, boolean fleet) throws Exception {
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers()).withTopics(new Topics("d."));
            SimulatedFabric.Builder b = SimulatedFabric.builder();
            List<String> hosts = new ArrayList<>();
            for (int h = 1; h <= n; h++) {
                hosts.add("h" + h);
                b.host(HostSpec.of("h" + h));
                for (int g = 0; g < 20; g++) {
                    b.guest("h" + h, GuestSpec.of("h" + h + "-vm-" + g).withConstantCpu(0.3));
                }
            }
            SimulatedFabric fabric = b.build();
            Path state = Files.createTempDirectory("vb-density-");
            List<AgentConfig> configs = hosts.stream().map(h -> AgentConfig.of(h, kafka, state.resolve(h))).toList();
            Vertx vertx = Vertx.vertx();
            try {
                long t0 = System.nanoTime();
                if (fleet) {
                    vertx.deployVerticle(AgentVerticle.fleet(configs, fabric::driver, new SimpleMeterRegistry()))
                            .await(600, TimeUnit.SECONDS);
                } else {
                    List<Future<String>> all = new ArrayList<>();
                    for (AgentConfig c : configs) {
                        all.add(vertx.deployVerticle(new AgentVerticle(c, fabric.driver(c.hostId()), new SimpleMeterRegistry())));
                    }
                    Future.all(all).await(600, TimeUnit.SECONDS);
                }
                double start = (System.nanoTime() - t0) / 1e9;
                var os = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class);
                Thread.sleep(15_000); // a benchmark's fixed settling time, not a wait for a condition
                long cpu0 = os.getProcessCpuTime();
                long w0 = System.nanoTime();
                Thread.sleep(30_000);
                double cores = (os.getProcessCpuTime() - cpu0) / (double) (System.nanoTime() - w0);
                System.gc();
                long heap = (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20;
                return String.format(Locale.ROOT, "| %d | %s | %.1f | %d | %.2f | %d |", n,
                        fleet ? "one fleet" : n + " one-host agents", start, Thread.activeCount(), cores, heap);
            } finally {
                vertx.close().await(300, TimeUnit.SECONDS);
            }
        }
    }
}
