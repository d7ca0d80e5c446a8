package org.virtbalancer.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DrainingWorkersTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void closeWaitsForTheRunningCallToReturnAndItsResultIsDelivered() throws Exception {
        DrainingWorkers workers = new DrainingWorkers(vertx, vertx.createSharedWorkerExecutor("t", 2), Duration.ofSeconds(10));
        CountDownLatch release = new CountDownLatch(1);
        Future<String> call = workers.executeBlocking(() -> {
            release.await();
            return "done";
        }, false);
        await().until(() -> workers.running() == 1);
        Future<Void> closed = workers.close();
        assertFalse(closed.isComplete(), "close waits while a call runs");
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(closed::isComplete);
        assertTrue(closed.succeeded());
        assertEquals("done", call.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS));
        assertEquals(0, workers.running());
    }

    @Test
    void closeGivesUpAfterItsLimit() {
        DrainingWorkers workers = new DrainingWorkers(vertx, vertx.createSharedWorkerExecutor("s", 1), Duration.ofMillis(200));
        CountDownLatch never = new CountDownLatch(1);
        workers.executeBlocking(() -> {
            never.await(5, TimeUnit.SECONDS);
            return null;
        }, false);
        await().until(() -> workers.running() == 1);
        Future<Void> closed = workers.close();
        await().atMost(Duration.ofSeconds(5)).until(closed::isComplete);
        assertEquals(1, never.getCount(), "closed after its limit, although the call had not returned by itself");
    }
}
