package org.virtbalancer.balancer.service;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live page's files as the balancer jar serves them (the browser test is LivePageTest in
 * deploy): every file the page names is there, and the page keeps to its Content-Security-Policy.
 */
class LivePageFilesTest {
    private static final List<String> SCRIPTS = List.of("app.js", "feed.js", "migrate.js", "view.js");

    @Test
    void everyFileThePageAndItsModulesNameIsInTheJar() throws IOException {
        String index = read("index.html");
        Matcher refs = Pattern.compile("(?:src|href)=\"([^\"#:]+)\"").matcher(index);
        while (refs.find()) {
            read(refs.group(1));
        }
        for (String script : SCRIPTS) {
            Matcher imports = Pattern.compile("from '\\./([^']+)'").matcher(read(script));
            while (imports.find()) {
                read(imports.group(1));
            }
        }
    }

    @Test
    void pageRunsUnderAStrictContentSecurityPolicy() throws IOException {
        String index = read("index.html");
        assertTrue(index.contains("script-src 'self'") && index.contains("style-src 'self'"), "the page's CSP is missing");
        assertFalse(index.contains("unsafe-inline") || index.contains("unsafe-eval"), "the CSP must stay strict");
        assertFalse(Pattern.compile("<script(?![^>]*\\ssrc=)[^>]*>").matcher(index).find(), "inline script in index.html");
        assertFalse(Pattern.compile("\\son[a-z]+=", Pattern.CASE_INSENSITIVE).matcher(index).find(),
                "inline event handler in index.html");
        assertFalse(Pattern.compile("\\sstyle=").matcher(index).find(), "inline style attribute in index.html");
    }

    @Test
    void scriptsWriteTheBalancersTextAsTextNeverAsMarkup() throws IOException {
        // Guest names, reasons and error sentences come from the cluster: they must never become HTML.
        Pattern markup = Pattern.compile("innerHTML|outerHTML|insertAdjacentHTML|document\\.write|\\beval\\(|new Function");
        for (String script : SCRIPTS) {
            Matcher m = markup.matcher(read(script));
            assertFalse(m.find(), () -> script + " uses " + m.group());
        }
    }

    private static String read(String file) throws IOException {
        try (InputStream in = LivePageFilesTest.class.getClassLoader().getResourceAsStream("webroot/" + file)) {
            assertNotNull(in, "webroot/" + file + " is not on the balancer's classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
