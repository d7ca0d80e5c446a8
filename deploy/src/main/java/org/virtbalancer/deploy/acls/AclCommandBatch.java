package org.virtbalancer.deploy.acls;

import org.apache.kafka.tools.AclCommand;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs Kafka's own {@code kafka-acls} ({@code org.apache.kafka.tools.AclCommand}) once for each
 * line of standard input, all in one JVM: a line holds one invocation's arguments separated by tabs.
 * {@code deploy/bin/kafka-acls-virt-balancer --apply} feeds it two lines per host, so that thousands
 * of hosts cost no JVM starts; {@link #PARALLEL} invocations run at once, since each mostly waits for
 * the controller to commit its ACLs. Each invocation's output is printed whole, in input order.
 * An invocation that fails ends the run with Kafka's own message and exit code 1; adding an ACL
 * twice is harmless, so run it again.
 */
public final class AclCommandBatch {
    /** Invocations at once. */
    static final int PARALLEL = 8;
    /** What each invocation prints, kept apart per thread until it is done. */
    private static final List<ByteArrayOutputStream> BUFFERS = new CopyOnWriteArrayList<>();
    private static final ThreadLocal<ByteArrayOutputStream> CAPTURED = ThreadLocal.withInitial(() -> {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        BUFFERS.add(b);
        return b;
    });

    private static volatile boolean finished;

    private AclCommandBatch() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        List<String[]> invocations = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    invocations.add(line.split("\t"));
                }
            }
        }
        PrintStream console = System.out;
        // AclCommand prints to System.out: give each thread its own buffer.
        System.setOut(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                ByteArrayOutputStream out = CAPTURED.get();
                synchronized (out) {
                    out.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                ByteArrayOutputStream out = CAPTURED.get();
                synchronized (out) {
                    out.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8));
        // A failing invocation prints why, then exits the JVM with 1: show what is not shown yet first.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            BUFFERS.forEach(b -> {
                synchronized (b) {
                    console.print(b.toString(StandardCharsets.UTF_8));
                }
            });
            if (!finished) {
                console.println("kafka-acls-virt-balancer: kafka-acls failed (above); correct it (--bootstrap-server,"
                        + " --command-config, the applying principal's rights) and run again: ACLs already added stay");
                console.flush();
            }
        }));
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        List<Future<String>> done = new ArrayList<>();
        for (String[] invocation : invocations) {
            done.add(pool.submit(() -> {
                ByteArrayOutputStream out = CAPTURED.get();
                AclCommand.main(invocation);
                synchronized (out) {
                    String printed = out.toString(StandardCharsets.UTF_8);
                    out.reset();
                    return printed;
                }
            }));
        }
        try {
            for (Future<String> f : done) {
                console.print(f.get());
            }
        } catch (ExecutionException e) {
            console.println("kafka-acls-virt-balancer: " + e.getCause());
            System.exit(1);
        } finally {
            pool.shutdown();
        }
        finished = true;
        console.println("kafka-acls-virt-balancer: " + invocations.size() + " kafka-acls invocations applied");
    }
}
