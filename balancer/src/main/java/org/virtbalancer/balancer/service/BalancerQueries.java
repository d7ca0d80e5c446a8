package org.virtbalancer.balancer.service;

import io.vertx.core.Future;
import org.virtbalancer.balancer.core.Preview;
import org.virtbalancer.balancer.plan.Explanation;

import java.util.Optional;

/** Read-only questions to a running balancer; each is answered on the thread that owns its core. */
public interface BalancerQueries {
    /** What the balancer would do if it decided now. */
    Future<Preview> preview();

    /** Where the guest can go and why not elsewhere; with a target, that host's verdict only. */
    Future<Explanation> explain(String guest, Optional<String> target);
}
