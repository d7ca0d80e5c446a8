package org.virtbalancer.deploy.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** One scrape of a real {@code /metrics} endpoint, and what promtool says about it. */
public record Exposition(String url, String contentType, String body) {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** GET {@code url}; fails unless it answers 200. */
    public static Exposition scrape(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET()
                .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        }
        return new Exposition(url, r.headers().firstValue("content-type").orElse(""), r.body());
    }

    /** Every metric family and sample name in the text, e.g. {@code vb_migration_duration_seconds} and its {@code _bucket}. */
    Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("# TYPE ") || line.startsWith("# HELP ")) {
                names.add(line.split(" ")[2]);
            } else if (!line.isBlank() && !line.startsWith("#")) {
                int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
                names.add(line.substring(0, end));
            }
        }
        return names;
    }

    /** The value of the sample written exactly as {@code series} (name and labels as exposed), if present. */
    OptionalDouble value(String series) {
        for (String line : body.split("\n")) {
            if (line.startsWith(series + " ")) {
                return OptionalDouble.of(Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]));
            }
        }
        return OptionalDouble.empty();
    }

    /** The sum of every sample of {@code name} whose labels contain all of {@code labels} (e.g. {@code host="h1"}). */
    public double sum(String name, String... labels) {
        double total = 0;
        for (String line : body.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean all = true;
            for (String l : labels) {
                all &= line.contains(l);
            }
            if (all) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    /** Keeps the text under {@code dir} for a person to read after the run. */
    public Path save(Path dir, String name) throws IOException {
        return Files.writeString(Files.createDirectories(dir).resolve(name), body);
    }

    /**
     * {@code promtool check metrics} on the saved text: its exit code and everything it printed.
     * Fails when promtool is missing: deploy/bin/install-prerequisites installs it (Debian package prometheus).
     */
    public static Result promtool(Path file) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("promtool is not installed: run deploy/bin/install-prerequisites test (it installs"
                    + " the Debian package prometheus), or apt-get install prometheus", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool check metrics did not finish in 60 s");
        }
        return new Result(p.exitValue(), out);
    }

    /** What promtool said: exit code 0 and no output means no problem. */
    public record Result(int exit, String output) {
        public boolean clean() {
            return exit == 0 && output.isBlank();
        }
    }
}
