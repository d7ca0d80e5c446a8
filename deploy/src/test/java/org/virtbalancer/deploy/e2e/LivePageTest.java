package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.RequestMigration;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The balancer's live page in headless Chromium, against a real broker, balancer and simulated
 * agents: what an operator sees change, and what the page's buttons do.
 */
@ExtendWith(Broker.class)
class LivePageTest {
    private static final String TOKEN = "live-page-test-token-0123";
    private ClusterFixture fx;
    private HeadlessChromium chromium;

    @AfterEach
    void stop() throws Exception {
        try {
            if (chromium != null) chromium.close();
        } finally {
            if (fx != null) fx.close();
        }
    }

    /**
     * host-1 is overloaded by 8 busy guests; a 250 MiB/s link makes each 2 GiB migration last about
     * ten seconds, long enough to watch. host-3 carries two running guests and a paused one to drain.
     */
    private static SimulatedFabric overloadedCluster() {
        SimulatedFabric.Builder b = SimulatedFabric.builder();
        for (int h = 1; h <= 5; h++) {
            b.host(HostSpec.of("host-" + h).withCpus(8).withMemoryMiB(32768).withLinkMiBps(250));
        }
        for (int i = 1; i <= 8; i++) {
            b.guest("host-1", GuestSpec.of("hot-" + i).withVcpus(1).withConstantCpu(0.95));
        }
        b.guest("host-3", GuestSpec.of("web-1").withConstantCpu(0.5))
                .guest("host-3", GuestSpec.of("web-2").withConstantCpu(0.5))
                .guest("host-3", GuestSpec.of("batch-1").withState(GuestState.PAUSED).withConstantCpu(0));
        for (int h : new int[] {2, 4, 5}) {
            b.guest("host-" + h, GuestSpec.of("calm-" + h).withConstantCpu(0.5));
        }
        return b.build();
    }

    @Test
    void showsMigrationsAsTheyProgressAndDrainsAHostFromItsButtonWithoutAReload(EmbeddedKafka broker)
            throws Exception {
        fx = new ClusterFixture(broker, overloadedCluster(), ClusterFixture.testSettings(),
                ApiEndpoint.loopback(0).withToken(TOKEN));
        chromium = HeadlessChromium.start(1440, 1000);
        WebDriver page = chromium.driver;
        page.get(fx.apiUrl() + "/ui/#token=" + TOKEN);

        // Hosts render, and the token has left the address bar.
        within(60).until(d -> d.findElements(By.cssSelector("article[data-host]")).size() == 5);
        assertFalse(page.getCurrentUrl().contains(TOKEN), "the token stays in the address bar: " + page.getCurrentUrl());
        assertEquals("set", body().getAttribute("data-token"));
        js().executeScript("window.__loadedOnce = 'first load'");

        // Finding a host by name hides the others until the field is cleared.
        WebElement find = page.findElement(By.id("host-filter"));
        find.sendKeys("host-3");
        within(5).until(d -> d.findElements(By.cssSelector("article[data-host]")).stream()
                .filter(WebElement::isDisplayed).map(h -> h.getAttribute("data-host")).toList().equals(List.of("host-3")));
        find.clear();
        find.sendKeys(" ");
        within(5).until(d -> d.findElements(By.cssSelector("article[data-host]")).stream()
                .filter(WebElement::isDisplayed).count() == 5);

        // A migration in flight appears, and its progress moves on while the page stays loaded.
        WebElement first = within(60).until(d -> d.findElements(By.cssSelector("li[data-migration]")).stream()
                .filter(m -> percent(m) < 50).findFirst().orElse(null));
        String command = first.getAttribute("data-migration");
        String guest = first.getAttribute("data-guest");
        int before = percent(first);
        assertEquals("migrating", page.findElement(By.cssSelector("[data-guest='" + guest + "'].guest"))
                .getAttribute("data-guest-state"), guest + " is not marked as migrating on its host");
        within(30).until(d -> percent(d.findElement(By.cssSelector("li[data-migration='" + command + "']"))) > before);
        assertFalse(page.findElements(By.cssSelector("li[data-decision]")).isEmpty(), "no decision is shown");
        // It ends and moves to the history, still in the same page.
        within(60).until(d -> !d.findElements(By.cssSelector("tr[data-command='" + command + "'][data-status='SUCCEEDED']"))
                .isEmpty());
        assertTrue(page.findElements(By.cssSelector("li[data-migration='" + command + "']")).isEmpty());

        // Enter maintenance on host-3 from its button: ENTERING, then IN_MAINTENANCE with no guest left.
        WebElement host3 = host("host-3");
        assertTrue(Integer.parseInt(host3.getAttribute("data-guests")) >= 3, "host-3 should carry its guests");
        assertEquals("ACTIVE", host3.getAttribute("data-maintenance"));
        host3.findElement(By.cssSelector("button[data-action='enter']")).click();
        WebElement reason = within(10).until(d -> visible(d, By.id("enter-reason")));
        reason.sendKeys("firmware update");
        page.findElement(By.id("enter-confirm")).click();
        within(15).until(d -> visible(d, By.cssSelector("#notice[data-kind='ok']")));
        within(30).until(d -> "ENTERING".equals(host("host-3").getAttribute("data-maintenance")));
        assertEquals("entering", host("host-3").getAttribute("data-state"));
        assertTrue(page.findElement(By.cssSelector("[data-drain='host-3']")).isDisplayed(), "the drain is not shown");

        // The picture for the README: migrations in flight and the drain under way.
        within(30).until(d -> !d.findElements(By.cssSelector("li[data-migration]")).isEmpty()
                && "ENTERING".equals(host("host-3").getAttribute("data-maintenance")));
        screenshot("live-page.png");

        within(120).until(d -> {
            WebElement h = host("host-3");
            return "IN_MAINTENANCE".equals(h.getAttribute("data-maintenance")) && "0".equals(h.getAttribute("data-guests"));
        });
        assertEquals("in-maintenance", host("host-3").getAttribute("data-state"));
        within(10).until(d -> visible(d, By.cssSelector("[data-drain='host-3'][data-state='IN_MAINTENANCE']")));
        assertTrue(host("host-3").findElement(By.cssSelector("button[data-action='exit']")).isDisplayed(),
                "a host in maintenance offers Exit maintenance");
        assertEquals("first load", js().executeScript("return window.__loadedOnce"), "the page was reloaded");
        int snapshots = Integer.parseInt(body().getAttribute("data-snapshots"));
        assertTrue(snapshots > 5, "the page drew only " + snapshots + " snapshots");

        // The balancer goes away: the page says so.
        fx.close();
        fx = null;
        within(20).until(d -> visible(d, By.id("banner")));
        assertTrue(page.findElement(By.id("banner")).getText().startsWith("Disconnected"));
    }

    @Test
    void buttonsAskForTheTokenUntilItIsGivenThenApproveAPlanAndSwitchAutomation(EmbeddedKafka broker) throws Exception {
        BalancerSettings manual = ClusterFixture.testSettings().withAutomation(AutomationLevel.MANUAL);
        fx = new ClusterFixture(broker, overloadedCluster(), manual, ApiEndpoint.loopback(0).withToken(TOKEN));
        chromium = HeadlessChromium.start(1280, 900);
        WebDriver page = chromium.driver;
        page.get(fx.apiUrl() + "/ui/");
        within(60).until(d -> d.findElements(By.cssSelector("article[data-host]")).size() == 5);
        assertEquals("none", body().getAttribute("data-token"));
        assertEquals("manual", page.findElement(By.id("automation")).getAttribute("data-level"));

        // Manual: host-1's relief waits for approval; without the token the button says what is missing.
        By approve = By.cssSelector("[data-plan] button[data-action='approve']");
        within(60).until(d -> visible(d, approve)).click();
        WebElement notice = within(10).until(d -> visible(d, By.cssSelector("#notice[data-kind='error']")));
        assertTrue(notice.getText().contains("needs the API token"), notice.getText());
        assertEquals(0, fx.cluster.balancer().snapshot().migrationsIssued(), "a migration started without the token");
        page.findElement(By.id("notice-close")).click();
        host("host-2").findElement(By.cssSelector("[data-guest='calm-2'] button[data-action='migrate']")).click();
        notice = within(10).until(d -> visible(d, By.cssSelector("#notice[data-kind='error']")));
        assertTrue(notice.getText().startsWith("Migrating calm-2 needs the API token"), notice.getText());
        assertFalse(page.findElement(By.id("migrate-dialog")).isDisplayed(), "Migrate\u2026 opened without the token");

        page.findElement(By.id("token")).sendKeys(TOKEN);
        page.findElement(By.id("token-use")).click();
        within(10).until(d -> "set".equals(body().getAttribute("data-token")));
        within(10).until(d -> visible(d, approve)).click();
        within(60).until(d -> !d.findElements(By.cssSelector("li[data-migration], #recent tr[data-command]")).isEmpty());
        assertTrue(fx.cluster.balancer().snapshot().migrationsIssued() > 0);

        // The automation switch: the balancer takes the new level and the page shows it.
        page.findElement(By.xpath("//fieldset[@id='automation']//label[input[@value='full']]")).click();
        within(30).until(d -> "full".equals(d.findElement(By.id("automation")).getAttribute("data-level")));
        assertEquals(AutomationLevel.FULL, fx.cluster.balancer().snapshot().automation());
    }

    /**
     * Reads need the token here, so the page and its Migrate… dialog ask with it. host-3 goes into
     * maintenance: running web-1's dialog offers host-2 and shows host-3 disabled with its reason, and
     * the move runs through the balancer and an agent; shut-off db-1's dialog starts with --offline.
     */
    @Test
    void readsTheFeedWithTheTokenWhenTheApiWantsItForReadsThenMigratesAGuestFromItsDialog(EmbeddedKafka broker)
            throws Exception {
        SimulatedFabric fabric = SimulatedFabric.builder()
                .host(HostSpec.of("host-1")).host(HostSpec.of("host-2")).host(HostSpec.of("host-3"))
                .guest("host-1", GuestSpec.of("web-1").withMemoryMiB(512))
                .guest("host-2", GuestSpec.of("db-1").withState(GuestState.SHUTOFF)).build();
        fx = new ClusterFixture(broker, fabric, ClusterFixture.testSettings(),
                new ApiEndpoint("127.0.0.1", 0, TOKEN, false));
        chromium = HeadlessChromium.start(1280, 900);
        WebDriver page = chromium.driver;
        page.get(fx.apiUrl() + "/ui/");

        within(30).until(d -> "needs-token".equals(body().getAttribute("data-connection")));
        WebElement banner = page.findElement(By.id("banner"));
        assertTrue(banner.isDisplayed() && banner.getText().contains("needs the token"), banner.getText());
        assertTrue(page.findElements(By.cssSelector("article[data-host]")).isEmpty());

        page.findElement(By.id("token")).sendKeys(TOKEN);
        page.findElement(By.id("token-use")).click();
        within(60).until(d -> d.findElements(By.cssSelector("article[data-host]")).size() == 3);
        fx.control("host-3", new EnterMaintenance("host-3", "new DIMMs"));
        within(10).until(d -> !d.findElement(By.id("banner")).isDisplayed());
        assertEquals("live", body().getAttribute("data-connection"));
        within(30).until(d -> "1".equals(host("host-1").getAttribute("data-guests")));

        // Migrate… on web-1: the defaults for a running guest, and the targets for exactly them.
        within(30).until(d -> "IN_MAINTENANCE".equals(host("host-3").getAttribute("data-maintenance")));
        host("host-1").findElement(By.cssSelector("[data-guest='web-1'] button[data-action='migrate']")).click();
        within(10).until(d -> visible(d, By.id("migrate-dialog")));
        assertEquals("web-1", page.findElement(By.id("migrate-guest")).getText());
        assertEquals("host-1", page.findElement(By.id("migrate-source")).getText());
        assertEquals(List.of("live", "persistent", "undefinesource"), chosenOptions());
        WebElement targets = answeredFor("live=true&persistent=true&undefinesource=true", "answered");
        assertEquals("--live --persistent --undefinesource web-1 \u2192 TARGET", page.findElement(By.id("migrate-flags")).getText());
        WebElement host2 = targets.findElement(By.cssSelector("[data-target='host-2']"));
        assertEquals("true", host2.getAttribute("data-eligible"));
        assertTrue(host2.findElement(By.cssSelector("input[type='radio']")).isEnabled(), "host-2 cannot be chosen");
        WebElement host3 = targets.findElement(By.cssSelector("[data-target='host-3']"));
        assertEquals("false", host3.getAttribute("data-eligible"));
        assertFalse(host3.findElement(By.cssSelector("input[type='radio']")).isEnabled(), "host-3 can be chosen");
        assertEquals("in maintenance: host-3 is in maintenance and takes no guests.",
                host3.findElement(By.cssSelector("li.failure[data-rule='NotInMaintenance']")).getText());
        assertTrue(page.findElement(By.id("migrate-summary")).getText().startsWith("1/2 hosts can take web-1"),
                page.findElement(By.id("migrate-summary")).getText());
        assertFalse(page.findElement(By.id("migrate-confirm")).isEnabled(), "Migrate is enabled before a target is chosen");

        // --undefinesource without --persistent, which virsh refuses: the balancer's sentence, no target.
        option("persistent").click();
        answeredFor("live=true&undefinesource=true", "error");
        WebElement refused = within(5).until(d -> visible(d, By.id("migrate-error")));
        assertTrue(refused.getText().contains("--undefinesource without --persistent is refused"), refused.getText());
        assertTrue(page.findElements(By.cssSelector("#migrate-targets [data-target]")).isEmpty());
        option("persistent").click();
        targets = answeredFor("live=true&persistent=true&undefinesource=true", "answered");
        assertFalse(page.findElement(By.id("migrate-error")).isDisplayed(), "the refusal stays shown");

        // host-2, sent with the token: the dialog follows the request until it has succeeded.
        targets.findElement(By.cssSelector("[data-target='host-2'] label")).click();
        WebElement confirm = page.findElement(By.id("migrate-confirm"));
        assertEquals("Migrate to host-2", confirm.getText());
        confirm.click();
        WebElement progress = within(60).until(d -> visible(d, By.cssSelector("#migrate-progress[data-state='SUCCEEDED']")));
        assertEquals("Succeeded", progress.findElement(By.id("migrate-state")).getText());
        assertEquals("100%", progress.findElement(By.id("migrate-percent")).getText());
        assertEquals("web-1: host-1 \u2192 host-2", progress.findElement(By.id("migrate-route")).getText());
        assertEquals("Close", page.findElement(By.id("migrate-cancel")).getText());
        assertFalse(confirm.isDisplayed(), "Migrate is still offered for a guest that has left host-1");
        screenshot("migrate-dialog.png");
        // What the page asked for is what ran: --live --persistent --undefinesource, as virsh does them.
        RequestMigration sent = within(10).until(d -> fx.tap.bodies(fx.topics.control(), RequestMigration.class).stream()
                .findFirst().orElse(null));
        assertEquals(progress.getAttribute("data-request"), sent.requestId());
        assertEquals(MigrationMode.LIVE, sent.mode());
        assertTrue(sent.options().persistent() && sent.options().undefineSource(), sent.options().toString());
        assertEquals("the live page", sent.requestedBy());
        assertEquals(Optional.of("host-2"), fx.fabric.hostOf("web-1"));
        assertTrue(fx.fabric.guest("host-2", "web-1").orElseThrow().persistent(), "web-1 is transient on host-2");
        assertTrue(fx.fabric.guest("host-1", "web-1").isEmpty(), "web-1 is still defined on host-1");

        page.findElement(By.id("migrate-cancel")).click();
        within(5).until(d -> !d.findElement(By.id("migrate-dialog")).isDisplayed());
        within(30).until(d -> !d.findElements(By.cssSelector("article[data-host='host-2'] [data-guest='web-1']")).isEmpty());

        // A shut-off guest's definition moves: --offline --persistent --undefinesource.
        host("host-2").findElement(By.cssSelector("[data-guest='db-1'] button[data-action='migrate']")).click();
        within(10).until(d -> visible(d, By.id("migrate-dialog")));
        assertEquals(List.of("offline", "persistent", "undefinesource"), chosenOptions());
        targets = answeredFor("live=false&offline=true&persistent=true&undefinesource=true", "answered");
        assertEquals("true", targets.findElement(By.cssSelector("[data-target='host-1']")).getAttribute("data-eligible"));
        assertEquals("Cancel", page.findElement(By.id("migrate-cancel")).getText());
        assertTrue(page.findElement(By.id("migrate-confirm")).isDisplayed(), "the last dialog's outcome is still shown");
        assertFalse(page.findElement(By.id("migrate-progress")).isDisplayed(), "the last dialog's outcome is still shown");
        page.findElement(By.id("migrate-cancel")).click();
    }

    // ---- helpers ----

    /** Waits up to {@code seconds}, looking again every 100 ms; a redrawn element is simply looked up again. */
    private WebDriverWait within(int seconds) {
        WebDriverWait wait = new WebDriverWait(chromium.driver, Duration.ofSeconds(seconds), Duration.ofMillis(100));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private static WebElement visible(WebDriver d, By by) {
        List<WebElement> found = d.findElements(by);
        return found.stream().filter(WebElement::isDisplayed).findFirst().orElse(null);
    }

    private WebElement host(String name) {
        return chromium.driver.findElement(By.cssSelector("article[data-host='" + name + "']"));
    }

    private WebElement body() {
        return chromium.driver.findElement(By.tagName("body"));
    }

    private JavascriptExecutor js() {
        return chromium.driver;
    }

    /** The Migrate… dialog's target list once it answers for exactly {@code query} (the explain's options), in {@code state}. */
    private WebElement answeredFor(String query, String state) {
        WebElement list = within(15).until(d -> {
            WebElement l = d.findElement(By.id("migrate-targets"));
            return query.equals(l.getAttribute("data-query")) && !"asking".equals(l.getAttribute("data-state")) ? l : null;
        });
        assertEquals(state, list.getAttribute("data-state"), () -> chromium.driver.findElement(By.id("migrate-error")).getText());
        return list;
    }

    /** The Migrate… dialog's chosen kind and checked options, by virsh's names. */
    private List<String> chosenOptions() {
        return chromium.driver.findElements(By.cssSelector("#migrate-options input:checked")).stream()
                .map(i -> "radio".equals(i.getAttribute("type")) ? i.getAttribute("value") : i.getAttribute("data-option"))
                .toList();
    }

    private WebElement option(String name) {
        return chromium.driver.findElement(By.cssSelector("#migrate-options input[data-option='" + name + "']"));
    }

    private static int percent(WebElement migration) {
        return Integer.parseInt(migration.getAttribute("data-percent"));
    }

    /** The whole page, not just the window: the window is stretched to the page's height first. */
    private void screenshot(String name) throws Exception {
        WebDriver d = chromium.driver;
        Dimension window = d.manage().window().getSize();
        long height = (Long) js().executeScript("return document.documentElement.scrollHeight");
        d.manage().window().setSize(new Dimension(window.getWidth(), (int) Math.min(2400, height + 140)));
        try {
            Path file = HeadlessChromium.screenshots().resolve(name);
            Files.write(file, chromium.driver.getScreenshotAs(OutputType.BYTES));
        } finally {
            d.manage().window().setSize(window);
        }
    }
}
