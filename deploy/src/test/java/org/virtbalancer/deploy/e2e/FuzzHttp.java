package org.virtbalancer.deploy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hostile requests to the balancer's HTTP API, both the one that takes writes with a token and a
 * read-only one: odd methods, paths with hostile segments and queries, good, wrong and missing
 * tokens, mutated and oversized bodies, and a share of raw, malformed HTTP over a socket. A
 * request fails the run when it is answered with a 5xx, not answered within 10 s, or refused
 * (4xx) without a JSON {@code {"error": "..."}} sentence saying why.
 */
final class FuzzHttp {
    /** What the requests got. */
    record Result(int requests, int raw, long millis, Map<Integer, Long> statuses, long failures, List<String> failureSamples,
                  long rawUnanswered, long resent, long closedTooLong) {
        boolean clean() {
            return failures == 0;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> METHODS = List.of("GET", "GET", "GET", "GET", "POST", "POST", "POST", "PUT", "DELETE",
            "PATCH", "OPTIONS", "HEAD");

    private final FuzzInputs in;
    private final List<String> apis;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<Integer, Long> statuses = new TreeMap<>();
    private final List<String> failures = new ArrayList<>();
    private long failureCount;
    private long rawUnanswered;
    private long resent;
    private long closedTooLong;
    /** Vert.x's longest request line (HttpServerOptions' default maxInitialLineLength). */
    private static final int MAX_INITIAL_LINE = 4096;

    FuzzHttp(FuzzInputs in, String writeApi, String readOnlyApi) {
        this.in = in;
        this.apis = List.of(writeApi, writeApi, writeApi, readOnlyApi);
    }

    Result run(int requests) throws InterruptedException {
        long started = System.nanoTime();
        int raw = 0;
        for (int i = 0; i < requests; i++) {
            String api = in.pick(apis);
            if (in.random().nextInt(20) == 0) {
                raw++;
                raw(api);
            } else {
                one(api);
            }
        }
        return new Result(requests, raw, (System.nanoTime() - started) / 1_000_000, Map.copyOf(statuses), failureCount,
                List.copyOf(failures), rawUnanswered, resent, closedTooLong);
    }

    private String path() {
        String h = seg();
        return switch (in.random().nextInt(24)) {
            case 0 -> "/api/status";
            case 1 -> "/api/hosts";
            case 2, 3 -> "/api/hosts/" + h;
            case 4 -> "/api/guests" + (in.random().nextBoolean() ? "" : "?host=" + q(in.word()));
            case 5 -> "/api/migrations";
            case 6 -> "/api/migrations/" + seg();
            case 7 -> "/api/plan";
            case 8 -> "/api/recommendations";
            case 9 -> "/api/decisions";
            case 10, 11 -> "/api/explain/" + seg() + query();
            case 12 -> "/api/maintenance";
            case 13 -> "/api/maintenance/" + h;
            case 14, 15 -> "/api/maintenance/" + h + "/" + in.pick(List.of("enter", "exit", "enter", seg()));
            case 16 -> "/api/automation";
            case 17, 18 -> "/api/migrations";
            case 19 -> "/api/recommendations/" + seg() + "/approve";
            case 20 -> "/metrics";
            case 21 -> in.pick(List.of("/", "/ui/", "/ui/index.html", "/ui/../../etc/passwd", "/ui/%2e%2e/%2e%2e/etc/passwd",
                    "/ui/" + seg(), "/api", "/api/", "//api//status", "/api/status/", "/api/hosts/..", "/api/%00"));
            default -> "/" + seg() + "/" + seg();
        };
    }

    private String query() {
        int n = in.random().nextInt(5);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? '?' : '&');
            String k = in.pick(List.of("target", "live", "offline", "persistent", "undefinesource", "copy-storage-all",
                    "parallel-connections", "bandwidth", "timeout", "timeout-postcopy", "postcopy", "migrateuri", "suspend",
                    "unsafe", "bogus", q(in.shortWord())));
            String v = in.pick(List.of("true", "false", "", in.numberText(), in.shortWord()));
            sb.append(k).append('=').append(q(v));
        }
        return sb.toString();
    }

    private String seg() {
        String w = in.word();
        if (w.length() > 6000) {
            w = w.substring(0, 6000);
        }
        return q(w);
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private ObjectNode template(String path) {
        ObjectNode t = JSON.createObjectNode();
        if (path.endsWith("/enter")) {
            t.put("reason", "fuzz");
        } else if (path.startsWith("/api/automation")) {
            t.put("level", in.pick(List.of("manual", "partial", "full", "FULL", "none")));
        } else if (path.startsWith("/api/migrations")) {
            t.put("guest", in.word()).put("target", in.word()).put("live", true).put("persistent", true)
                    .put("undefinesource", in.random().nextBoolean());
            if (in.random().nextBoolean()) t.put("bandwidth", 100).put("parallel-connections", 2).put("parallel", true);
        }
        return t;
    }

    private void one(String api) throws InterruptedException {
        String method = in.pick(METHODS);
        String path = path();
        boolean hasBody = !method.equals("GET") && !method.equals("HEAD") && in.random().nextInt(5) > 0;
        byte[] body = hasBody ? in.body(template(path)) : new byte[0];
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(10))
                    .method(method, hasBody ? HttpRequest.BodyPublishers.ofByteArray(body) : HttpRequest.BodyPublishers.noBody());
        } catch (IllegalArgumentException e) {
            fail("client could not build " + method + " " + cut(path) + ": " + e.getMessage());
            return;
        }
        int auth = in.random().nextInt(8);
        String header = switch (auth) {
            case 0, 1, 2 -> "Bearer " + FuzzRun.TOKEN;
            case 3 -> "Bearer " + FuzzRun.TOKEN + "x";
            case 4 -> "bearer " + FuzzRun.TOKEN.substring(1);
            case 5 -> in.pick(List.of("Basic Zm9vOmJhcg==", "Bearer", "Bearer ", "Bearer " + "A".repeat(7000), "Token x",
                    "Bearer " + FuzzRun.TOKEN + "\u00e9"));
            default -> null;
        };
        try {
            if (header != null) b.header("Authorization", header);
            if (in.random().nextInt(4) == 0) b.header("Content-Type", in.pick(List.of("application/json", "text/plain",
                    "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16")));
        } catch (IllegalArgumentException e) {
            // The client refuses some header values (non-ASCII): send without them.
        }
        HttpResponse<String> r;
        HttpRequest request = b.build();
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            fail("no answer within 10 s: " + method + " " + cut(path));
            return;
        } catch (IOException e) {
            // The server may close a kept-alive connection after refusing a request whose body it did not read (405,
            // 413, 414); a request sent on it in the meantime gets no answer. Sent again on a new connection, it must get one.
            try {
                r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                        .send(request, HttpResponse.BodyHandlers.ofString());
                resent++;
            } catch (IOException again) {
                if (request.uri().toString().length() > MAX_INITIAL_LINE) {
                    // Vert.x answers 414 and closes at once; a client still sending its body may see only the reset.
                    closedTooLong++;
                    return;
                }
                fail(method + " " + cut(path) + ": " + e + ", and again on a new connection: " + again);
                return;
            }
        }
        int s = r.statusCode();
        statuses.merge(s, 1L, Long::sum);
        if (s >= 500) {
            fail(s + " for " + method + " " + cut(path) + " " + cut(new String(body, StandardCharsets.UTF_8)) + ": " + cut(r.body()));
        } else if (s >= 400 && !method.equals("HEAD") && (path.startsWith("/api") || path.startsWith("/metrics"))
                && s != 413 && s != 414 && s != 431 && !saysWhy(r.body())) {
            fail(s + " without an error sentence for " + method + " " + cut(path) + ": " + cut(r.body()));
        }
    }

    private static boolean saysWhy(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.path("error").isTextual() && !n.path("error").asText().isBlank();
        } catch (IOException e) {
            return false;
        }
    }

    /** Malformed HTTP straight onto a socket: the server must answer or close, never hang or fail. */
    private void raw(String api) {
        URI u = URI.create(api);
        String method = in.pick(List.of("GET", "POST", "PUT", "G\u00e9T", "", "GET GET", "\u0000"));
        String target = in.pick(List.of("/api/status", "/api/hosts/" + in.shortWord(), "/api/explain/" + in.shortWord(),
                "*", "http://127.0.0.1/api/status", "/api/maintenance/host-1/enter", "/" + "a".repeat(20_000), "/api/%zz",
                "/api/hosts/%00", "/api/hosts/\u202Ex"));
        String version = in.pick(List.of("HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", "", "HTTP/1.1 extra"));
        StringBuilder req = new StringBuilder(method + " " + target + " " + version + "\r\nHost: 127.0.0.1\r\n");
        int headers = in.random().nextInt(4);
        for (int i = 0; i < headers; i++) {
            req.append(in.pick(List.of("Authorization: Bearer " + FuzzRun.TOKEN, "Content-Length: -1",
                    "Content-Length: 99999999999999999999", "Transfer-Encoding: chunked", "X-Long: " + "b".repeat(10_000),
                    "Bad Header", ": empty-name", "Content-Type: application/json", "Expect: 100-continue",
                    "Authorization: Bearer " + in.shortWord()))).append("\r\n");
        }
        req.append("Connection: close\r\n\r\n");
        if (in.random().nextBoolean()) {
            req.append(new String(in.body(JSON.createObjectNode().put("reason", "raw")), StandardCharsets.ISO_8859_1));
        }
        try (Socket socket = new Socket(u.getHost(), u.getPort())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            socket.shutdownOutput();
            InputStream is = socket.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = is.read(buf)) > 0 && got.size() < 1 << 20; ) {
                    got.write(buf, 0, n);
                }
            } catch (SocketTimeoutException e) {
                rawUnanswered++;
            }
            String head = got.toString(StandardCharsets.ISO_8859_1);
            if (head.startsWith("HTTP/1.") && head.length() >= 12) {
                int s = Integer.parseInt(head.substring(9, 12));
                statuses.merge(s, 1L, Long::sum);
                if (s >= 500 && s != 505) {
                    fail("raw request answered " + s + ": " + cut(req.toString()) + " -> " + cut(head));
                }
            }
        } catch (IOException e) {
            // Reset or refused mid-way: the server may close on garbage. Liveness is checked afterwards.
        }
    }

    private void fail(String what) {
        failureCount++;
        if (failures.size() < 20) {
            failures.add(what);
        }
    }

    private static String cut(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }
}
