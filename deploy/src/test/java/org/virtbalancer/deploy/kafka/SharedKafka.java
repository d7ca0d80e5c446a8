package org.virtbalancer.deploy.kafka;

import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real KRaft broker for the whole test JVM: started on first use, shut down when JUnit's
 * root context closes. Tests isolate themselves with their own topic prefix.
 */
public final class SharedKafka {
    private static EmbeddedKafka broker;

    private SharedKafka() {}

    public static synchronized EmbeddedKafka get(ExtensionContext context) {
        if (broker == null) {
            broker = EmbeddedKafka.start();
            EmbeddedKafka started = broker;
            context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                    .put("vb-shared-kafka", (AutoCloseable) () -> {
                        synchronized (SharedKafka.class) {
                            started.close();
                            broker = null;
                        }
                    });
        }
        return broker;
    }
}
