package org.virtbalancer.deploy.demo;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.AgentVerticle;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.balancer.service.BalancerVerticle;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A balancer and one agent per simulated host, deployed in one Vert.x instance and talking to
 * each other only through Kafka. The demo runs on it, and so do the end-to-end tests.
 */
public final class LocalCluster implements AutoCloseable {
    private final Vertx vertx;
    private final BalancerVerticle balancer;
    private final String balancerDeployment;
    private final Map<String, String> agentDeployments;

    private LocalCluster(Vertx vertx, BalancerVerticle balancer, String balancerDeployment, Map<String, String> agentDeployments) {
        this.vertx = vertx;
        this.balancer = balancer;
        this.balancerDeployment = balancerDeployment;
        this.agentDeployments = agentDeployments;
    }

    /**
     * Starts agents for every host of {@code fabric} (configured by {@code agentConfig}), then the
     * balancer, and waits until all are deployed.
     */
    public static LocalCluster start(BalancerConfig balancerConfig, SimulatedFabric fabric, List<String> hosts,
                                     Function<String, AgentConfig> agentConfig, MeterRegistry registry) throws Exception {
        return start(balancerConfig, hosts, fabric::driver, agentConfig, registry);
    }

    /**
     * Starts one agent per host with the driver {@code drivers} gives for it, then the balancer
     * (none when {@code balancerConfig} is null), and waits until all are deployed.
     */
    public static LocalCluster start(BalancerConfig balancerConfig, List<String> hosts,
                                     ThrowingFunction<String, HypervisorDriver> drivers,
                                     Function<String, AgentConfig> agentConfig, MeterRegistry registry) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Map<String, String> agents = new LinkedHashMap<>();
            List<Future<String>> deploying = new ArrayList<>();
            for (String host : hosts) {
                deploying.add(vertx.deployVerticle(new AgentVerticle(agentConfig.apply(host), drivers.apply(host), registry))
                        .onSuccess(id -> {
                            synchronized (agents) {
                                agents.put(host, id);
                            }
                        }));
            }
            Future.all(deploying).toCompletionStage().toCompletableFuture().get();
            if (balancerConfig == null) {
                return new LocalCluster(vertx, null, null, agents);
            }
            BalancerVerticle balancer = new BalancerVerticle(balancerConfig, Clock.systemUTC(), registry);
            String id = vertx.deployVerticle(balancer).toCompletionStage().toCompletableFuture().get();
            return new LocalCluster(vertx, balancer, id, agents);
        } catch (Exception e) {
            vertx.close();
            throw e;
        }
    }

    /** The balancer; fails when this cluster was started without one. */
    public BalancerVerticle balancer() {
        if (balancer == null) {
            throw new IllegalStateException("this cluster runs agents only");
        }
        return balancer;
    }

    /** A driver factory that may fail (a real hypervisor connection can). */
    @FunctionalInterface
    public interface ThrowingFunction<T, R> {
        R apply(T t) throws Exception;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Stops one agent (as a host's agent process would stop); its host and guests stay in the fabric. */
    public void stopAgent(String host) throws Exception {
        String id = agentDeployments.remove(host);
        if (id != null) {
            vertx.undeploy(id).toCompletionStage().toCompletableFuture().get();
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (balancerDeployment != null) {
                vertx.undeploy(balancerDeployment).toCompletionStage().toCompletableFuture().get();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }
}
