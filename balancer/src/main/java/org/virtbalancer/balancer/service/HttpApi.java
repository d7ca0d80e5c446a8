package org.virtbalancer.balancer.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.balancer.kafka.ControlWriter;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.GuestSnapshot;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.InvalidMessageException;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.protocol.SetAutomation;
import org.virtbalancer.protocol.VirshMigrate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * The balancer's HTTP API, JSON over loopback by default, and its live page. Every answer comes
 * from the balancer's latest snapshot, except {@code plan} and {@code explain}, which ask the core.
 *
 * <p>Reads:
 * <ul>
 *   <li>{@code GET /api/status}: this balancer and the cluster in figures</li>
 *   <li>{@code GET /api/hosts}, {@code GET /api/hosts/HOST} (with its guests and maintenance status)</li>
 *   <li>{@code GET /api/guests[?host=HOST]}</li>
 *   <li>{@code GET /api/migrations}: in flight, and the latest that ended</li>
 *   <li>{@code GET /api/plan}: what the balancer would do now; {@code GET /api/recommendations}: plans
 *       waiting for approval; {@code GET /api/decisions}: the latest decisions with their reasons</li>
 *   <li>{@code GET /api/explain/GUEST[?target=HOST]}: every failing rule per host</li>
 *   <li>{@code GET /api/maintenance}, {@code GET /api/maintenance/HOST}; {@code GET /api/automation}</li>
 *   <li>{@code GET /api/events}: server-sent events, a {@code snapshot} event with the live view
 *       whenever the balancer takes a new snapshot (the live page's feed)</li>
 *   <li>{@code GET /metrics}: the process's metrics in the Prometheus text format, when it has a
 *       Prometheus registry ({@link MetricsScrape}); with the same read access as {@code /api}</li>
 * </ul>
 * Writes need {@code Authorization: Bearer TOKEN} and each becomes the control message the CLI
 * sends, written to the control topic (202 with the message's id):
 * {@code POST /api/maintenance/HOST/enter} (body {@code {"reason": "…"}}, optional),
 * {@code POST /api/maintenance/HOST/exit}, {@code PUT /api/automation} (body {@code {"level": "full"}}),
 * {@code POST /api/recommendations/PLAN/approve}, {@code POST /api/migrations} (an operator's migration with
 * virsh's options, followed at {@code GET /api/migrations/ID}).
 * Errors are {@code {"error": "<one sentence saying what to do>"}}.
 */
public final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final String ENDPOINTS = "the API answers GET /api/status, /api/hosts[/HOST], /api/guests[?host=HOST],"
            + " /api/migrations[/REQUEST], /api/plan, /api/recommendations, /api/decisions,"
            + " /api/explain/GUEST[?target=HOST&live=true&…], /api/maintenance[/HOST], /api/automation and /api/events;"
            + " with a token POST /api/maintenance/HOST/enter|exit, PUT /api/automation, POST"
            + " /api/recommendations/PLAN/approve and POST /api/migrations";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();
    /** Reads virsh's options: an unknown name is an error, not ignored (a typo must not drop a flag). */
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final String VIRSH_OPTIONS = "live, offline, persistent, undefinesource, suspend, copy-storage-all,"
            + " copy-storage-inc, parallel, parallel-connections, bandwidth, migrateuri, unsafe, auto-converge, postcopy,"
            + " timeout, timeout-postcopy";
    /** The live view lists guests one by one up to this many; beyond it only per-host counts. */
    static final int LIVE_GUESTS_LISTED = 2_000;
    /** Decisions and finished migrations the live view carries. */
    static final int LIVE_RECENT = 20;
    private static final long SSE_POLL_MS = 1_000;
    private static final long SSE_KEEPALIVE_MS = 15_000;
    private static final int BODY_LIMIT = 16 * 1024;

    private final HttpServer server;
    private final String url;
    private final Vertx vertx;
    private final long feedTimer;
    private final Set<HttpServerResponse> subscribers;

    private HttpApi(HttpServer server, String url, Vertx vertx, long feedTimer, Set<HttpServerResponse> subscribers) {
        this.server = server;
        this.url = url;
        this.vertx = vertx;
        this.feedTimer = feedTimer;
        this.subscribers = subscribers;
    }

    /** Listens on {@code endpoint}; fails with a sentence naming the address when it cannot. */
    public static Future<HttpApi> start(Vertx vertx, ApiEndpoint endpoint, BalancerQueries queries) {
        return start(vertx, endpoint, queries, Optional.empty());
    }

    /** As {@link #start(Vertx, ApiEndpoint, BalancerQueries)}, with {@code GET /metrics} when {@code metrics} is given. */
    public static Future<HttpApi> start(Vertx vertx, ApiEndpoint endpoint, BalancerQueries queries,
                                        Optional<MetricsScrape> metrics) {
        Set<HttpServerResponse> subscribers = ConcurrentHashMap.newKeySet();
        Feed feed = new Feed(vertx, queries, subscribers);
        return vertx.createHttpServer(new HttpServerOptions().setHost(endpoint.host()).setPort(endpoint.port()))
                .requestHandler(new Routes(vertx, endpoint, queries, feed, metrics).router())
                .listen()
                .recover(e -> Future.failedFuture(new IllegalStateException("the balancer API cannot listen on "
                        + endpoint.host() + ":" + endpoint.port() + " (" + e.getMessage() + "); choose another"
                        + " --http-port, 0 for any free port, or -1 for no API", e)))
                .map(s -> {
                    long timer = vertx.setPeriodic(SSE_POLL_MS, id -> feed.poll());
                    return new HttpApi(s, "http://" + reachable(endpoint.host()) + ":" + s.actualPort(), vertx, timer,
                            subscribers);
                });
    }

    /** The routes; one instance per server. */
    private record Routes(Vertx vertx, ApiEndpoint endpoint, BalancerQueries queries, Feed feed,
                          Optional<MetricsScrape> metrics) {
        Router router() {
            Router router = Router.router(vertx);
            // The page's buttons act on the cluster: no other site may frame it (clickjacking).
            router.route().handler(ctx -> {
                ctx.response().putHeader("X-Frame-Options", "DENY")
                        .putHeader("Content-Security-Policy", "frame-ancestors 'none'")
                        .putHeader("X-Content-Type-Options", "nosniff");
                ctx.next();
            });
            router.route("/api/*").handler(this::readAccess);
            metrics.ifPresent(m -> router.get("/metrics").handler(this::readAccess).handler(m::serve));
            router.get("/api/status").handler(ctx -> send(ctx, 200, status(queries.snapshot(), queries.instance())));
            router.get("/api/hosts").handler(ctx -> send(ctx, 200, queries.snapshot().hosts()));
            router.get("/api/hosts/:host").handler(this::host);
            router.get("/api/guests").handler(this::guests);
            router.get("/api/migrations").handler(ctx -> {
                ClusterSnapshot s = queries.snapshot();
                send(ctx, 200, ordered("inFlight", s.inFlight(), "recent", s.recentMigrations()));
            });
            router.get("/api/migrations/:request").handler(ctx -> reply(ctx, queries.request(ctx.pathParam("request"))
                    .map(found -> found.orElseThrow(() -> new ApiError(404, "no migration request "
                            + ctx.pathParam("request") + " is known here: it may be older than this balancer's memory, or"
                            + " not written yet; list migrations with GET /api/migrations")))));
            router.get("/api/plan").handler(ctx -> reply(ctx, queries.preview()));
            router.get("/api/recommendations").handler(ctx -> send(ctx, 200, queries.snapshot().recommendations()));
            router.get("/api/decisions").handler(ctx -> send(ctx, 200, queries.snapshot().recentDecisions()));
            router.get("/api/explain/:guest").handler(this::explain);
            router.get("/api/maintenance").handler(ctx -> send(ctx, 200, queries.snapshot().maintenance()));
            router.get("/api/maintenance/:host").handler(this::maintenanceOf);
            router.get("/api/automation").handler(ctx -> send(ctx, 200,
                    Map.of("level", queries.snapshot().automation().name().toLowerCase(Locale.ROOT))));
            router.get("/api/events").handler(feed::subscribe);

            // No file uploads: Vert.x would write each multipart file to ./file-uploads, before the token is checked, and keep it.
            BodyHandler body = BodyHandler.create().setBodyLimit(BODY_LIMIT).setHandleFileUploads(false);
            router.post("/api/maintenance/:host/enter").handler(body).handler(ctx -> write(ctx,
                    () -> new EnterMaintenance(knownHost(ctx.pathParam("host")), textField(ctx, "reason"))));
            router.post("/api/maintenance/:host/exit").handler(body).handler(ctx -> write(ctx,
                    () -> new ExitMaintenance(knownHost(ctx.pathParam("host")))));
            router.put("/api/automation").handler(body).handler(ctx -> write(ctx,
                    () -> new SetAutomation(level(textField(ctx, "level")))));
            router.post("/api/migrations").handler(body).handler(this::migrate);
            router.post("/api/recommendations/:plan/approve").handler(body).handler(ctx -> write(ctx, () -> {
                String plan = ctx.pathParam("plan");
                if (queries.snapshot().recommendations().stream().noneMatch(r -> r.planId().equals(plan))) {
                    throw new ApiError(404, "no plan " + plan + " is waiting for approval (it may have run, been"
                            + " replaced or expired); list the pending ones with GET /api/recommendations");
                }
                return new ApprovePlan(plan);
            }));

            router.get("/").handler(ctx -> ctx.redirect("/ui/"));
            router.route("/ui/*").handler(StaticHandler.create("webroot").setCachingEnabled(false)
                    .setIndexPage("index.html"));
            router.errorHandler(404, ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method() + " "
                    + ctx.request().path() + "; " + ENDPOINTS + "."));
            router.errorHandler(405, ctx -> error(ctx, 405, ctx.request().method() + " is not allowed on "
                    + ctx.request().path() + "; " + ENDPOINTS + "."));
            // Vert.x refuses some bodies itself (a form that does not decode): say so, as every other refusal does.
            router.errorHandler(400, ctx -> error(ctx, 400, "the request could not be read"
                    + (ctx.failure() == null || ctx.failure().getMessage() == null ? "" : " (" + ctx.failure().getMessage() + ")")
                    + "; send JSON with Content-Type: application/json, such as {\"reason\": \"…\"}."));
            router.errorHandler(413, ctx -> error(ctx, 413, "the request body is larger than " + BODY_LIMIT / 1024
                    + " KiB; send a small JSON object such as {\"reason\": \"…\"}."));
            return router;
        }

        private void readAccess(RoutingContext ctx) {
            if (endpoint.openReads() || ctx.request().method() != io.vertx.core.http.HttpMethod.GET
                    || authorised(ctx)) {
                ctx.next();
            } else {
                unauthorised(ctx, "reads on this API need the token: send Authorization: Bearer TOKEN");
            }
        }

        private boolean authorised(RoutingContext ctx) {
            String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
            if (!endpoint.takesWrites() || header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return false;
            }
            byte[] given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
            return MessageDigest.isEqual(given, endpoint.token().getBytes(StandardCharsets.UTF_8));
        }

        private void unauthorised(RoutingContext ctx, String sentence) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"virt-balancer\"");
            error(ctx, 401, sentence);
        }

        /** Runs {@code parse}; on a bad request answers 400 (or the ApiError's status) and returns empty. */
        private static <T> Optional<T> parsedOrAnswered(RoutingContext ctx, java.util.function.Supplier<T> parse) {
            try {
                return Optional.of(parse.get());
            } catch (ApiError e) {
                error(ctx, e.status, e.getMessage());
            } catch (InvalidMessageException | IllegalArgumentException e) {
                error(ctx, 400, e.getMessage());
            }
            return Optional.empty();
        }

        /** Whether this request may write; when not, the 403 or 401 answer has been sent. */
        private boolean mayWrite(RoutingContext ctx) {
            if (!endpoint.takesWrites()) {
                error(ctx, 403, "this balancer's API takes no writes: start it with --api-token-file FILE (or"
                        + " VB_API_TOKEN) to allow them, or use vbal maintenance / automation / approve, which write to"
                        + " Kafka directly");
                return false;
            }
            if (!authorised(ctx)) {
                unauthorised(ctx, "writes need the API token: send Authorization: Bearer TOKEN (the token the"
                        + " balancer was started with)");
                return false;
            }
            return true;
        }

        /** Carries out one write: authorises, builds the control message, sends it, answers 202. */
        private void write(RoutingContext ctx, java.util.function.Supplier<Message> build) {
            if (!mayWrite(ctx)) {
                return;
            }
            Optional<Message> built = parsedOrAnswered(ctx, build);
            if (built.isEmpty()) {
                return;
            }
            Message control = built.get();
            queries.control(control, "api").onComplete(done -> {
                if (done.succeeded()) {
                    Envelope env = done.result();
                    send(ctx, 202, ordered("sent", env.type().wireName(), "message", env.id(), "body", env.body()));
                } else {
                    // The caller hears why; an outage of Kafka is logged once by the producer (KafkaOutage).
                    LOG.debug("could not write {} to the control topic: {}", control, done.cause().toString());
                    notWritten(ctx, control, done.cause());
                }
            });
        }

        /**
         * A control write that was not confirmed: 503 when it failed (it never takes effect), 504 when Kafka
         * took it without confirming it (it may still take effect), each with the writer's sentence.
         */
        private void notWritten(RoutingContext ctx, Message control, Throwable cause) {
            if (cause instanceof ControlWriter.NotConfirmed n) {
                error(ctx, n.mayStillTakeEffect() ? 504 : 503, n.getMessage());
            } else {
                error(ctx, 503, "the balancer could not write " + control.getClass().getSimpleName() + " to Kafka ("
                        + cause.getMessage() + "); nothing was written: check the broker and try again");
            }
        }

        private String knownHost(String host) {
            String h = Check.name("host", host);
            if (queries.snapshot().host(h).isEmpty()) {
                throw new ApiError(404, notAHost(h, queries.snapshot()));
            }
            return h;
        }

        /** Answers about one host of the latest snapshot, or 404 naming the hosts there are. */
        private void onHost(RoutingContext ctx, String name, BiConsumer<ClusterSnapshot, HostSnapshot> answer) {
            ClusterSnapshot s = queries.snapshot();
            Optional<HostSnapshot> h = s.host(name);
            if (h.isEmpty()) {
                error(ctx, 404, notAHost(name, s));
            } else {
                answer.accept(s, h.get());
            }
        }

        private void host(RoutingContext ctx) {
            onHost(ctx, ctx.pathParam("host"), (s, h) -> send(ctx, 200, ordered("host", h,
                    "guests", s.guests().stream().filter(g -> g.host().equals(h.host())).toList(),
                    "maintenance", s.maintenanceOf(h.host()).orElse(null))));
        }

        private void guests(RoutingContext ctx) {
            String host = ctx.queryParams().get("host");
            if (host == null || host.isBlank()) {
                send(ctx, 200, queries.snapshot().guests());
            } else {
                onHost(ctx, host, (s, h) -> send(ctx, 200,
                        s.guests().stream().filter(g -> g.host().equals(host)).toList()));
            }
        }

        private void maintenanceOf(RoutingContext ctx) {
            onHost(ctx, ctx.pathParam("host"), (s, h) -> send(ctx, 200, s.maintenanceOf(h.host()).<Object>map(m -> m)
                    .orElseGet(() -> ordered("host", h.host(), "state", h.maintenance()))));
        }

        /**
         * {@code POST /api/migrations}: an operator's migration, virsh's options under their names. Checked
         * here first (400 for options virsh refuses, 404 for an unknown guest or host, 409 with every
         * failing rule), then written to the control topic for the leader, which checks it again and runs it
         * (202 with the request id to follow at {@code GET /api/migrations/ID}).
         */
        private void migrate(RoutingContext ctx) {
            if (!mayWrite(ctx)) {
                return;
            }
            Optional<RequestMigration> parsed = parsedOrAnswered(ctx, () -> migrationRequest(ctx));
            if (parsed.isEmpty()) {
                return;
            }
            RequestMigration request = parsed.get();
            queries.check(request).onComplete(checked -> {
                if (checked.failed()) {
                    error(ctx, 500, "the balancer could not check the request: " + checked.cause().getMessage());
                } else if (checked.result().isPresent()) {
                    String why = checked.result().get();
                    boolean unknown = queries.snapshot().guests().stream().noneMatch(g -> g.guest().equals(request.guest()))
                            || queries.snapshot().host(request.target()).isEmpty();
                    send(ctx, unknown ? 404 : 409, ordered("error", why, "refused", true, "guest", request.guest(),
                            "target", request.target()));
                } else {
                    queries.control(request, "api").onComplete(done -> {
                        if (done.succeeded()) {
                            send(ctx, 202, ordered("requestId", request.requestId(), "guest", request.guest(), "target",
                                    request.target(), "mode", request.mode(), "status", "/api/migrations/"
                                            + request.requestId()));
                        } else {
                            LOG.error("could not write {} to the control topic: {}", request, done.cause().getMessage());
                            notWritten(ctx, request, done.cause());
                        }
                    });
                }
            });
        }

        private RequestMigration migrationRequest(RoutingContext ctx) {
            String body = ctx.body() == null ? null : ctx.body().asString();
            if (body == null || body.isBlank()) {
                throw new ApiError(400, "send the migration as JSON, e.g. {\"guest\": \"web-1\", \"target\": \"host-b\","
                        + " \"live\": true, \"persistent\": true, \"undefinesource\": true}");
            }
            JsonNode node;
            try {
                node = COMPACT.readTree(body);
            } catch (JsonProcessingException e) {
                throw new ApiError(400, "the request body is not JSON (" + e.getOriginalMessage() + ")");
            }
            if (node == null || !node.isObject()) {
                throw new ApiError(400, "send a JSON object with guest, target and virsh's options");
            }
            ObjectNode options = ((ObjectNode) node).deepCopy();
            String guest = Check.name("guest", stringField(options.remove("guest"), "guest"));
            String target = Check.name("target", stringField(options.remove("target"), "target"));
            String by = Optional.ofNullable(options.remove("requestedBy")).map(v -> stringField(v, "requestedBy")).orElse("");
            VirshMigrate virsh = virshOptions(options);
            return new RequestMigration(UUID.randomUUID().toString(), guest, target, virsh.mode(), virsh.options(),
                    System.currentTimeMillis(), by.isEmpty() ? "the HTTP API" : by);
        }

        private static String stringField(JsonNode value, String field) {
            if (value == null || value.isNull()) {
                throw new ApiError(400, "'" + field + "' is required");
            }
            if (!value.isTextual()) {
                throw new ApiError(400, "'" + field + "' must be a string");
            }
            return value.asText();
        }

        /** virsh's options from a JSON object (the body, or the query of an explain); unknown names are refused. */
        private static VirshMigrate virshOptions(ObjectNode options) {
            try {
                return STRICT.treeToValue(options, VirshMigrate.class);
            } catch (JsonProcessingException e) {
                Throwable cause = e.getCause();
                if (cause instanceof InvalidMessageException bad) {
                    throw bad;
                }
                if (e instanceof UnrecognizedPropertyException u) {
                    throw new ApiError(400, "'" + u.getPropertyName() + "' is not an option of virsh migrate that"
                            + " virt-balancer takes; use " + VIRSH_OPTIONS);
                }
                throw new ApiError(400, "bad migration options: " + e.getOriginalMessage());
            }
        }

        private void explain(RoutingContext ctx) {
            Optional<String> target = Optional.ofNullable(ctx.queryParams().get("target")).filter(t -> !t.isBlank());
            ObjectNode asked = COMPACT.createObjectNode();
            ctx.queryParams().forEach((k, v) -> {
                if (!k.equals("target")) {
                    asked.set(k, v.equals("true") || v.equals("false") || v.isEmpty() ? COMPACT.getNodeFactory()
                            .booleanNode(!v.equals("false")) : v.matches("[0-9]{1,12}")
                            ? COMPACT.getNodeFactory().numberNode(Long.parseLong(v)) : COMPACT.getNodeFactory().textNode(v));
                }
            });
            Future<Explanation> answer;
            if (asked.isEmpty()) {
                answer = queries.explain(ctx.pathParam("guest"), target);
            } else {
                Optional<VirshMigrate> virsh = parsedOrAnswered(ctx, () -> virshOptions(asked));
                if (virsh.isEmpty()) {
                    return;
                }
                answer = queries.explain(ctx.pathParam("guest"), target, virsh.get().mode(), virsh.get().options());
            }
            reply(ctx, answer.map(e -> {
                // No verdict at all: the guest, or the host asked about, is not known.
                if (e.host().isEmpty() || (target.isPresent() && e.hosts().isEmpty())) {
                    throw new ApiError(404, e.summary());
                }
                return e;
            }));
        }
    }

    /** The cluster in figures, and who answers. */
    static Map<String, Object> status(ClusterSnapshot s, BalancerQueries.Instance self) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("balancer", self);
        m.put("automation", s.automation().name().toLowerCase(Locale.ROOT));
        m.put("takenAt", s.takenAt());
        m.put("hosts", s.hosts().size());
        m.put("hostsOverloaded", s.hosts().stream().filter(HostSnapshot::overloaded).count());
        m.put("hostsStale", s.hosts().stream().filter(HostSnapshot::stale).count());
        m.put("hostsInMaintenance", s.hosts().stream().filter(h -> h.maintenance() != MaintenanceState.ACTIVE).count());
        m.put("guests", s.guests().size());
        m.put("migrationsInFlight", s.inFlight().size());
        m.put("migrationsIssued", s.migrationsIssued());
        m.put("migrationsSucceeded", s.migrationsSucceeded());
        m.put("migrationsFailed", s.migrationsFailed());
        m.put("imbalance", s.imbalance());
        m.put("recommendationsPending", s.recommendations().size());
        return m;
    }

    /**
     * What the live page draws, from one snapshot: the status, hosts, guests per host (names while the
     * cluster is small), migrations, drains, recommendations and the latest decisions.
     */
    static Map<String, Object> liveView(ClusterSnapshot s, BalancerQueries.Instance self) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status(s, self));
        m.put("hosts", s.hosts());
        boolean listed = s.guests().size() <= LIVE_GUESTS_LISTED;
        m.put("guestsListed", listed);
        m.put("guests", listed ? s.guests().stream().collect(Collectors.groupingBy(GuestSnapshot::host,
                LinkedHashMap::new, Collectors.mapping(g -> ordered("guest", g.guest(), "state", g.state(),
                        "cpuCores", g.cpuCores(), "migrating", g.migrating()), Collectors.toList()))) : Map.of());
        m.put("inFlight", s.inFlight());
        m.put("recentMigrations", last(s.recentMigrations(), LIVE_RECENT));
        m.put("maintenance", s.maintenance());
        m.put("recommendations", s.recommendations());
        m.put("decisions", last(s.recentDecisions(), LIVE_RECENT));
        return m;
    }

    private static <T> List<T> last(List<T> list, int n) {
        return list.subList(Math.max(0, list.size() - n), list.size());
    }

    /** Pushes the live view to every subscriber of {@code /api/events} when the snapshot changes. */
    private static final class Feed {
        private final Vertx vertx;
        private final BalancerQueries queries;
        private final Set<HttpServerResponse> subscribers;
        private ClusterSnapshot sent;
        private long lastWrite = System.currentTimeMillis();
        private boolean encoding;

        Feed(Vertx vertx, BalancerQueries queries, Set<HttpServerResponse> subscribers) {
            this.vertx = vertx;
            this.queries = queries;
            this.subscribers = subscribers;
        }

        void subscribe(RoutingContext ctx) {
            HttpServerResponse response = ctx.response();
            response.setChunked(true)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                    .putHeader("X-Accel-Buffering", "no");
            response.closeHandler(v -> subscribers.remove(response));
            response.exceptionHandler(e -> subscribers.remove(response));
            // The first event comes at once, so a page is drawn without waiting for a change.
            ClusterSnapshot s = queries.snapshot();
            encode(s).onSuccess(text -> {
                if (!response.closed()) {
                    response.write("retry: 2000\n\n" + text);
                    subscribers.add(response);
                }
            });
        }

        /** On the event loop every second: sends a new snapshot, or a keep-alive comment now and then. */
        void poll() {
            if (subscribers.isEmpty() || encoding) {
                return;
            }
            ClusterSnapshot s = queries.snapshot();
            long now = System.currentTimeMillis();
            if (s == sent) {
                if (now - lastWrite >= SSE_KEEPALIVE_MS) {
                    broadcast(": keep-alive\n\n");
                }
                return;
            }
            encoding = true;
            encode(s).onComplete(done -> {
                encoding = false;
                if (done.succeeded()) {
                    sent = s;
                    broadcast(done.result());
                } else {
                    LOG.error("cannot encode the live view", done.cause());
                }
            });
        }

        private void broadcast(String text) {
            lastWrite = System.currentTimeMillis();
            for (HttpServerResponse r : List.copyOf(subscribers)) {
                if (r.closed()) {
                    subscribers.remove(r);
                } else if (r.writeQueueFull()) {
                    // A reader this slow misses this event; the next one carries the whole view again.
                    LOG.debug("live-view subscriber is behind; skipping one event");
                } else {
                    r.write(text);
                }
            }
        }

        /** JSON of a whole cluster is not event-loop work: it is written on a worker thread. */
        private Future<String> encode(ClusterSnapshot s) {
            BalancerQueries.Instance self = queries.instance();
            return vertx.executeBlocking(() -> "event: snapshot\ndata: "
                    + COMPACT.writeValueAsString(liveView(s, self)) + "\n\n", false);
        }
    }

    private static String notAHost(String host, ClusterSnapshot s) {
        String known = s.hosts().stream().limit(10).map(HostSnapshot::host).collect(Collectors.joining(", "));
        return "no host " + host + " is known to the balancer (no agent has sent an inventory for it); known hosts: "
                + (known.isEmpty() ? "none yet" : known + (s.hosts().size() > 10 ? ", …" : ""));
    }

    private static AutomationLevel level(String text) {
        if (text.isEmpty()) {
            throw new ApiError(400, "send the level as {\"level\": \"manual\"}, \"partial\" or \"full\"");
        }
        try {
            return AutomationLevel.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "'" + text + "' is not an automation level; choose one of "
                    + Arrays.stream(AutomationLevel.values()).map(l -> l.name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining(", ")));
        }
    }

    /** A text field of the JSON body, "" when there is no body or no such field. */
    private static String textField(RoutingContext ctx, String field) {
        String body = ctx.body() == null ? null : ctx.body().asString();
        if (body == null || body.isBlank()) {
            return "";
        }
        JsonNode node;
        try {
            node = COMPACT.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "the request body is not JSON (" + e.getOriginalMessage() + "); send an object such"
                    + " as {\"" + field + "\": \"…\"}");
        }
        JsonNode value = node == null ? null : node.get(field);
        if (value == null || value.isNull()) {
            return "";
        }
        if (!value.isTextual()) {
            throw new ApiError(400, "'" + field + "' must be a string, e.g. {\"" + field + "\": \"…\"}");
        }
        return value.asText();
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static void reply(RoutingContext ctx, Future<?> answer) {
        answer.onComplete(done -> {
            if (done.succeeded()) {
                send(ctx, 200, done.result());
            } else if (done.cause() instanceof ApiError e) {
                error(ctx, e.status, e.getMessage());
            } else {
                LOG.error("API request {} failed", ctx.request().path(), done.cause());
                error(ctx, 500, "the balancer could not answer (" + done.cause() + "); its log has the details.");
            }
        });
    }

    private static void error(RoutingContext ctx, int status, String sentence) {
        send(ctx, status, Map.of("error", sentence));
    }

    private static void send(RoutingContext ctx, int status, Object body) {
        String json;
        try {
            json = JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            LOG.error("cannot write {} as JSON", body.getClass().getSimpleName(), e);
            status = 500;
            json = "{\"error\": \"the balancer could not write its answer as JSON; its log has the details.\"}";
        }
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json; charset=utf-8").end(json);
    }

    /** A wildcard bind address is reached through loopback from this machine. */
    private static String reachable(String host) {
        return host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host.contains(":") ? "[" + host + "]" : host;
    }

    /** Where the API answers, e.g. {@code http://127.0.0.1:8484}. */
    public String url() {
        return url;
    }

    /** The live page, e.g. {@code http://127.0.0.1:8484/ui/}. */
    public String pageUrl() {
        return url + "/ui/";
    }

    public int port() {
        return server.actualPort();
    }

    public Future<Void> close() {
        vertx.cancelTimer(feedTimer);
        subscribers.forEach(r -> {
            if (!r.closed()) {
                r.end();
            }
        });
        return server.close();
    }

    /** A request the API refuses; the message says what to do. */
    private static final class ApiError extends RuntimeException {
        private final int status;

        ApiError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
