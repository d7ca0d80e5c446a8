package org.virtbalancer.deploy.demo;

import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.PlanetLabTraces;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.protocol.GuestState;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * The demo's data centre: {@code hosts} hosts and about {@code guests} guests driven by PlanetLab
 * traces. host-1 carries guests whose traces are busy at the start of the day, so it starts
 * overloaded; every other host also has a paused and a shut-off guest, so a maintenance drain
 * shows all three kinds of migration. Deterministic for a given seed.
 */
public record DemoScenario(int hosts, int guests, int hostCpus, long hostMemoryMiB, Duration traceStep, long seed) {
    /** Samples of the trace's start that decide whether a guest is "busy" enough for host-1. */
    private static final int OPENING = 45;

    public DemoScenario {
        if (hosts < 2) throw new IllegalArgumentException("--hosts must be at least 2 so guests have somewhere to go, got " + hosts);
        if (guests < hosts) throw new IllegalArgumentException("--guests must be at least the number of hosts (" + hosts + "), got " + guests);
    }

    public static DemoScenario defaults() {
        return new DemoScenario(8, 120, 24, 96 * 1024, Duration.ofSeconds(2), 42);
    }

    public List<String> hostIds() {
        return IntStream.rangeClosed(1, hosts).mapToObj(i -> "host-" + i).toList();
    }

    public SimulatedFabric build() {
        PlanetLabTraces traces = PlanetLabTraces.shipped();
        Random random = new Random(seed);
        List<String> busy = new ArrayList<>();
        List<String> ordinary = new ArrayList<>();
        for (String name : traces.names()) {
            double opening = mean(traces.samples(name), OPENING);
            if (opening >= 40 && opening <= 75) {
                busy.add(name);
            } else if (opening >= 3) {
                ordinary.add(name);
            }
        }
        SimulatedFabric.Builder b = SimulatedFabric.builder().traceStep(traceStep);
        for (String h : hostIds()) {
            b.host(HostSpec.of(h).withCpus(hostCpus).withMemoryMiB(hostMemoryMiB).withLinkMiBps(1250));
        }
        // host-1: enough busy 4-vCPU guests to sit at ~115% of its CPUs.
        int hot = (int) Math.ceil(hostCpus * 1.15 / (4 * 0.5));
        hot = Math.min(hot, Math.max(1, guests / 4));
        int n = 0;
        for (int i = 0; i < hot; i++) {
            String trace = busy.get(random.nextInt(busy.size()));
            b.guest("host-1", GuestSpec.of(String.format("vm-%03d", ++n)).withVcpus(4).withMemoryMiB(4096)
                    .withDirtyRateMiBps(10 + random.nextInt(60)).withTrace(trace, 0));
        }
        List<String> others = hostIds().subList(1, hosts);
        int rest = guests - hot;
        for (int i = 0; i < rest; i++) {
            String host = others.get(i % others.size());
            int round = i / others.size();
            GuestSpec g = GuestSpec.of(String.format("vm-%03d", ++n))
                    .withVcpus(2 + 2 * random.nextInt(3))
                    .withMemoryMiB(1024L * (2 + random.nextInt(5)))
                    .withDirtyRateMiBps(5 + random.nextInt(80))
                    .withTrace(ordinary.get(random.nextInt(ordinary.size())), 0);
            if (round == 0) {
                g = g.withState(GuestState.PAUSED);
            } else if (round == 1) {
                g = g.withState(GuestState.SHUTOFF).withPersistent(true);
            }
            b.guest(host, g);
        }
        return b.build();
    }

    private static double mean(int[] samples, int first) {
        int n = Math.min(first, samples.length);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += samples[i];
        return sum / n;
    }
}
