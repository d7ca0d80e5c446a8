package org.virtbalancer.deploy.e2e;

import org.virtbalancer.deploy.cli.Vbal;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Random argument vectors for {@code vbal}, run in this JVM through its picocli entry point against
 * the fuzzed cluster: real option names of each command with hostile values (negative, overflowing
 * and unreadable numbers and durations, unicode, huge text, unknown hosts and guests), unknown
 * options, stray arguments and {@code @files}. Commands that would start a service or create topics
 * (agent, balancer, demo, replay, topics create) are only parsed. Addresses (--bootstrap, --api) and
 * files only ever name this machine. A run fails when an exception escapes, the exit code is not
 * one vbal documents, a stack trace reaches the user, a failure is not said in an {@code error:}
 * line, or the command fails with a programming error (reported in the log by vbal).
 */
final class FuzzCli {
    /** What the runs got. */
    record Result(int runs, int executed, int parsedOnly, long millis, Map<Integer, Long> exits, long failures,
                  List<String> failureSamples, long interrupted) {
        boolean clean() {
            return failures == 0;
        }
    }

    private static final List<String> PATHS = List.of("", "status", "hosts", "guests", "migrations", "recommendations",
            "plan", "explain", "explain", "approve", "automation", "automation get", "automation set", "automation set",
            "maintenance", "maintenance enter", "maintenance enter", "maintenance exit", "maintenance status", "migrate",
            "migrate", "migrate", "topics", "topics list", "topics create", "help", "agent", "balancer", "demo", "replay");
    private static final Set<String> PARSE_ONLY = Set.of("agent", "balancer", "demo", "replay", "topics create");
    /** Exceptions that are a bug wherever they come from. */
    static final Set<String> PROGRAMMING_ERRORS = Set.of("java.lang.NullPointerException", "java.lang.ClassCastException",
            "java.lang.IndexOutOfBoundsException", "java.lang.ArrayIndexOutOfBoundsException",
            "java.lang.StringIndexOutOfBoundsException", "java.lang.ArithmeticException",
            "java.lang.NumberFormatException", "java.util.IllegalFormatException",
            "java.util.UnknownFormatConversionException", "java.lang.UnsupportedOperationException",
            "java.lang.NegativeArraySizeException", "java.util.ConcurrentModificationException",
            "java.lang.StackOverflowError", "java.lang.OutOfMemoryError", "java.util.NoSuchElementException");

    private final FuzzInputs in;
    private final InProcessVbal vbal;
    private final String prefix;
    private final String bootstrap;
    private final String api;
    private final String tokenFile;
    private final Map<Integer, Long> exits = new TreeMap<>();
    private final List<String> failures = new ArrayList<>();
    private long failureCount;
    private long interrupted;

    FuzzCli(FuzzInputs in, FuzzRun run) {
        this.in = in;
        this.prefix = run.topics.prefix();
        this.bootstrap = run.kafka.bootstrapServers();
        this.api = run.apiUrl();
        this.tokenFile = run.tokenFile.toString();
        this.vbal = new InProcessVbal(bootstrap, prefix, api, run.tokenFile);
    }

    Result run(int runs) throws InterruptedException {
        long started = System.nanoTime();
        int executed = 0;
        int parsedOnly = 0;
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fuzz-vbal");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int i = 0; i < runs; i++) {
                String path = in.pick(PATHS);
                if (in.random().nextInt(30) == 0) {
                    path = in.shortWord();
                }
                List<String> args = args(path);
                if (PARSE_ONLY.contains(path)) {
                    parsedOnly++;
                    parse(args);
                } else {
                    executed++;
                    execute(pool, args);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return new Result(runs, executed, parsedOnly, (System.nanoTime() - started) / 1_000_000, Map.copyOf(exits),
                failureCount, List.copyOf(failures), interrupted);
    }

    private List<String> args(String path) {
        List<String> args = new ArrayList<>(path.isEmpty() ? List.of() : List.of(path.split(" ")));
        CommandLine target = Vbal.commandLine();
        for (String p : args) {
            CommandLine sub = target.getSubcommands().get(p);
            if (sub == null) break;
            target = sub;
        }
        List<OptionSpec> options = target.getCommandSpec().options();
        int n = in.random().nextInt(7);
        boolean positional = false;
        for (int i = 0; i < n; i++) {
            int r = in.random().nextInt(10);
            if (r < 5 && !options.isEmpty()) {
                OptionSpec o = in.pick(options);
                String name = in.pick(List.of(o.names()));
                if (o.arity().max() == 0) {
                    args.add(in.random().nextInt(8) == 0 ? name + "=" + in.pick(List.of("true", "false", "maybe", "")) : name);
                } else {
                    args.add(name);
                    args.add(value(name, o.type()));
                }
            } else if (r < 8 || !positional) {
                positional = true;
                args.add(in.shortWord());
            } else {
                args.add(in.pick(List.of("--", "-", "-x", "--bogus", "--" + in.shortWord(), "@/nonexistent", "@/dev/null",
                        "--help", "-V", "--version", "--to", "-b", "--wait", "--json")));
            }
        }
        if (path.equals("migrate") && !args.contains("--wait-timeout")) {
            args.add("--wait-timeout");
            args.add("2s");
        }
        if (args.contains("--wait") && !args.contains("--timeout")) {
            args.add("--timeout");
            args.add("1s");
        }
        return args;
    }

    /** A value for an option; addresses and files only ever of this machine. */
    private String value(String name, Class<?> type) {
        switch (name) {
            case "-b", "--bootstrap":
                return in.pick(List.of(bootstrap, "127.0.0.1:1", "127.0.0.1:99999", "127.0.0.1:abc", ":9092", "", "[::1]:1",
                        "127.0.0.1", "127.0.0.1:-5"));
            case "--api":
                return in.pick(List.of(api, "http://127.0.0.1:1", "127.0.0.1", "not a url", "", "ftp://127.0.0.1/",
                        "http://[::1:1", api + "/%zz", api + "/../"));
            case "--prefix":
                return in.pick(List.of(prefix, "bad prefix!", "", "a".repeat(300), "\u202E.", "../", "fz-other."));
            case "--kafka-config", "--api-token-file", "--hosts-file", "--trace", "--state-dir", "--config":
                return in.pick(List.of("/nonexistent/file", "/dev/null", "/etc/hostname", tokenFile, "", "/", "\u0000"));
            default:
                break;
        }
        if (type == Duration.class) {
            return in.durationText();
        }
        if (type == int.class || type == long.class || type == Integer.class || type == Long.class || type == double.class) {
            return in.numberText();
        }
        return in.random().nextInt(4) == 0 ? in.numberText() : in.shortWord();
    }

    private void parse(List<String> args) {
        CommandLine cl = Vbal.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        try {
            cl.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            // refused with a reason: what it should do
        } catch (RuntimeException | Error e) {
            fail("parsing vbal " + args + " threw " + e);
        }
    }

    private void execute(ExecutorService pool, List<String> args) throws InterruptedException {
        java.util.concurrent.atomic.AtomicReference<Thread> runner = new java.util.concurrent.atomic.AtomicReference<>();
        Future<InProcessVbal.Run> f = pool.submit(() -> {
            runner.set(Thread.currentThread());
            return vbal.run(args.toArray(String[]::new));
        });
        InProcessVbal.Run r;
        try {
            r = f.get(20, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            // Where it waits, for whoever reads the failure.
            Thread t = runner.get();
            String where = t == null ? " (never started)" : java.util.Arrays.stream(t.getStackTrace()).limit(40)
                    .map(frame -> "\n    at " + frame).collect(java.util.stream.Collectors.joining());
            f.cancel(true);
            interrupted++;
            fail("vbal " + args + " ran for more than 20 s; it was" + where);
            return;
        } catch (java.util.concurrent.ExecutionException e) {
            fail("vbal " + args + " threw " + e.getCause());
            return;
        }
        exits.merge(r.exit(), 1L, Long::sum);
        if (r.exit() < 0 || r.exit() > 6) {
            fail("vbal " + args + " exited " + r.exit() + ": " + r.all());
        } else if (r.err().contains("\tat ") || r.err().contains("Exception in thread")) {
            fail("vbal " + args + " showed a stack trace: " + r.all());
        } else if (r.exit() != 0 && !r.err().contains("error:")) {
            fail("vbal " + args + " failed (" + r.exit() + ") without an error line: " + r.all());
        }
    }

    private void fail(String what) {
        failureCount++;
        if (failures.size() < 20) {
            failures.add(what.length() > 6000 ? what.substring(0, 6000) + "…" : what);
        }
    }
}
