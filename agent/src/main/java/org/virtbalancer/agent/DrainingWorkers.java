package org.virtbalancer.agent;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker pool that, when closed, first lets the blocking calls already running return (up to a
 * limit). A libvirt call still running when Vert.x shuts its event loops down would otherwise
 * complete onto a terminated loop and die with a RejectedExecutionException on its worker thread.
 */
final class DrainingWorkers implements WorkerExecutor {
    private static final long CHECK_MS = 20;
    private final Vertx vertx;
    private final WorkerExecutor pool;
    private final Duration limit;
    private final AtomicInteger running = new AtomicInteger();

    DrainingWorkers(Vertx vertx, WorkerExecutor pool, Duration limit) {
        this.vertx = vertx;
        this.pool = pool;
        this.limit = limit;
    }

    @Override
    public <T> Future<T> executeBlocking(Callable<T> call, boolean ordered) {
        running.incrementAndGet();
        return pool.executeBlocking(() -> {
            try {
                return call.call();
            } finally {
                running.decrementAndGet();
            }
        }, ordered);
    }

    /** Blocking calls running now. */
    int running() {
        return running.get();
    }

    @Override
    public Future<Void> close() {
        Promise<Void> drained = Promise.promise();
        long giveUpAt = System.nanoTime() + limit.toNanos();
        if (running.get() == 0) {
            drained.complete();
        } else {
            vertx.setPeriodic(CHECK_MS, id -> {
                if (running.get() == 0 || System.nanoTime() - giveUpAt > 0) {
                    vertx.cancelTimer(id);
                    drained.tryComplete();
                }
            });
        }
        return drained.future().compose(v -> pool.close());
    }
}
