package dev.stepstream.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The page answered for each of its paths has a base relative to that path that leads to the
 * page's root, so that the page works behind a proxy that strips a path prefix the server never
 * learns (docs/deploy.md): the browser resolves the base against the address it shows.
 */
@Timeout(60)
class WebPageBaseTest {
    private static final Pattern BASE = Pattern.compile("<base href=\"([^\"]*)\">");

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @ParameterizedTest(name = "{0} is answered {1} with the base {2}")
    @CsvSource({
        "/,                                          200, ./",
        "/index.html,                                200, ./",
        "/compare,                                   200, ./",
        "/compare?a=x&b=y,                           200, ./",
        "/runs/0b0e7a1c-7d5e-4a53-9d0e-3f1c2b4a5d6e, 200, ../",
        "/runs/not-a-uuid?at=3,                      200, ../",
        "/workflows/deploy,                          200, ../",
        "/nope,                                      404, ./",
        "/runs,                                      404, ./",
        "/a/b/c,                                     404, ../../",
        "/a/b/,                                      404, ../../",
        "/a/b/c/d/e,                                 404, ../../../../",
        // The browser's address has both slashes, which the router's normalized path merges.
        "//a/b,                                      404, ../../",
        // An encoded slash divides no segment, to the browser or here.
        "/workflows/a%2Fb,                           200, ../",
        "/a%2Fb%2Fc,                                 404, ./",
    })
    void eachPathOfThePageHasTheBaseThatLeadsToItsRoot(String path, int status, String base) {
        TestServer.Response page = server.get(path);

        assertThat(page.status()).as(path).isEqualTo(status);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(baseOf(page.text())).as(path).isEqualTo(base);
    }

    @Test
    void theBaseComesBeforeEveryAddressOfThePageAndTheyAreRelative() {
        String page = server.get("/runs/x").text();

        assertThat(page).contains("<base href=\"../\">");
        assertThat(page.indexOf("<base ")).isLessThan(page.indexOf("style.css")).isLessThan(page.indexOf("app.mjs"));
        assertThat(page).doesNotContainPattern("(href|src)=\"/");
    }

    @Test
    void baseOfCountsTheDirectoriesOfThePath() {
        assertThat(WebRoutes.baseOf("/")).isEqualTo("./");
        assertThat(WebRoutes.baseOf("/compare")).isEqualTo("./");
        assertThat(WebRoutes.baseOf("/runs/x")).isEqualTo("../");
        assertThat(WebRoutes.baseOf("/runs/x/")).isEqualTo("../../");
        assertThat(WebRoutes.baseOf("/a%2Fb/c")).isEqualTo("../");
        assertThat(WebRoutes.baseOf("//a/b")).isEqualTo("../../");
    }

    private static String baseOf(String html) {
        Matcher m = BASE.matcher(html);
        assertThat(m.find()).as("a <base href> in %s", html).isTrue();
        String base = m.group(1);
        assertThat(m.find()).as("one <base>").isFalse();
        return base;
    }
}
