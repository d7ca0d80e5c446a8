package org.virtbalancer.deploy.e2e;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts, while installed, every log event at ERROR and every WARN that carries an exception, in
 * this JVM (agents, balancer, API, CLI and broker alike), keeping the first few of them for the report.
 */
final class LogCapture extends AbstractAppender implements AutoCloseable {
    /** One captured event. */
    record Event(String level, String logger, String message, String thrown) {
        @Override
        public String toString() {
            return level + " " + logger + ": " + message + (thrown.isEmpty() ? "" : " — " + thrown);
        }
    }

    private static final int KEPT = 40;
    private static final String CLI_LOGGER = "org.virtbalancer.deploy.cli.Vbal";
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong brokerErrors = new AtomicLong();
    private final java.util.concurrent.ConcurrentHashMap<String, Long> cliFailures = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<Event> kept = new ArrayList<>();

    private LogCapture() {
        super("fuzz-capture", null, null, true, Property.EMPTY_ARRAY);
    }

    static LogCapture install() {
        LogCapture capture = new LogCapture();
        capture.start();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        config.addAppender(capture);
        for (LoggerConfig lc : config.getLoggers().values()) {
            lc.addAppender(capture, Level.WARN, null);
        }
        config.getRootLogger().addAppender(capture, Level.WARN, null);
        ctx.updateLoggers();
        return capture;
    }

    @Override
    public void append(LogEvent event) {
        boolean error = event.getLevel().isMoreSpecificThan(Level.ERROR);
        Throwable thrown = event.getThrown();
        if (!error && thrown == null) {
            return;
        }
        if (event.getLoggerName().equals(CLI_LOGGER) && thrown != null && !error) {
            // vbal's own report of a failed command (the user saw one sentence): judged by the CLI fuzzing.
            Throwable root = rootCause(thrown);
            cliFailures.merge(thrown.getClass().getName() + (root == thrown ? "" : " <- " + root.getClass().getName()),
                    1L, Long::sum);
            return;
        }
        if (isBroker(event.getLoggerName())) {
            // The in-process broker is the test bed, not a consumer under test (it logs slow controller events on a busy machine).
            brokerErrors.incrementAndGet();
            return;
        }
        count.incrementAndGet();
        synchronized (kept) {
            if (kept.size() < KEPT) {
                kept.add(new Event(event.getLevel().name(), event.getLoggerName(), event.getMessage().getFormattedMessage(),
                        thrown == null ? "" : describe(thrown)));
            }
        }
    }

    private static boolean isBroker(String logger) {
        return logger.startsWith("kafka.") || logger.startsWith("org.apache.kafka.controller")
                || logger.startsWith("org.apache.kafka.raft") || logger.startsWith("org.apache.kafka.image")
                || logger.startsWith("org.apache.kafka.metadata") || logger.startsWith("org.apache.kafka.server")
                || logger.startsWith("org.apache.kafka.storage") || logger.startsWith("org.apache.kafka.coordinator")
                || logger.startsWith("state.change.logger");
    }

    /** Errors the in-process broker logged: reported, not judged. */
    long brokerErrors() {
        return brokerErrors.get();
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    /** Exceptions vbal reported as "command failed", by root-cause class. */
    java.util.Map<String, Long> cliFailures() {
        return java.util.Map.copyOf(cliFailures);
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(4, st.length); i++) {
            sb.append(" at ").append(st[i]);
        }
        return sb.toString();
    }

    long count() {
        return count.get();
    }

    List<Event> events() {
        synchronized (kept) {
            return List.copyOf(kept);
        }
    }

    void reset() {
        count.set(0);
        brokerErrors.set(0);
        cliFailures.clear();
        synchronized (kept) {
            kept.clear();
        }
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        for (LoggerConfig lc : config.getLoggers().values()) {
            lc.removeAppender(getName());
        }
        config.getRootLogger().removeAppender(getName());
        ctx.updateLoggers();
        stop();
    }
}
