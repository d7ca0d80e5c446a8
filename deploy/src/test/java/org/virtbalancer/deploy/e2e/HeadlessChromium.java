package org.virtbalancer.deploy.e2e;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's Chromium driven by its own chromedriver, both named by path so that Selenium never
 * looks for (or downloads) a browser; headless, with the flags this machine's closed network
 * needs and a fresh profile, removed on close.
 */
final class HeadlessChromium implements AutoCloseable {
    static final Path BROWSER = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    final ChromeDriver driver;
    private final Path profile;

    private HeadlessChromium(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** Starts the browser; fails, saying how to install it, when it is missing. */
    static HeadlessChromium start(int width, int height) throws IOException {
        for (Path p : new Path[] {BROWSER, DRIVER}) {
            assertTrue(Files.isExecutable(p), p + " is missing: the live-page test needs Debian's chromium and"
                    + " chromium-driver packages; run deploy/bin/install-prerequisites (deploy/bin/test does) and try"
                    + " again");
        }
        Path profile = Files.createTempDirectory("vb-chromium-");
        ChromeOptions options = new ChromeOptions()
                .setBinary(BROWSER.toFile())
                .addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
                        "--window-size=" + width + "," + height);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .withLogOutput(OutputStream.nullOutputStream())
                .build();
        return new HeadlessChromium(new ChromeDriver(service, options), profile);
    }

    /** deploy/target/screenshots, where the tests leave their pictures. */
    static Path screenshots() throws IOException {
        return Files.createDirectories(Path.of("target", "screenshots").toAbsolutePath());
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
