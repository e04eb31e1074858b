package dev.stepstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rule for a server's URL ({@link ServerUrlProblem}), which the command line and the
 * JavaScript and Python libraries keep in the same words: their tests hold the same cases
 * (clients/js/test, clients/python/tests), and the conformance suite each library's messages.
 */
class ServerUrlTest {
    /** Each URL the rule refuses, and the message of the builder that refuses it. */
    private static final Map<String, String> REFUSED = new LinkedHashMap<>();

    static {
        String notHttp = "server: expected an http:// or https:// URL, got ";
        REFUSED.put("ftp://127.0.0.1", notHttp + "ftp://127.0.0.1");
        REFUSED.put("localhost:8080", notHttp + "localhost:8080");
        REFUSED.put("http:///stepstream", notHttp + "http:///stepstream");
        REFUSED.put("http://:8080", notHttp + "http://:8080");
        REFUSED.put("http://host:http", notHttp + "http://host:http");
        REFUSED.put("http://host/a b", notHttp + "http://host/a b");
        REFUSED.put("http://[zz]", notHttp + "http://[zz]");
        REFUSED.put("http://host:0", "server: expected a port from 1 to 65535, got http://host:0");
        REFUSED.put("http://host:65536", "server: expected a port from 1 to 65535, got http://host:65536");
        REFUSED.put("http://host/?x=1", "server: expected a URL without a query (?…): the API's paths go after it, got http://host/?x=1");
        REFUSED.put("http://host?", "server: expected a URL without a query (?…): the API's paths go after it, got http://host?");
        REFUSED.put("http://host/#top", "server: expected a URL without a fragment (#…): the API's paths go after it, got http://host/#top");
        REFUSED.put("http://ann:s3cret@host", "server: a password in the URL is never sent; give a token, got http://***@host");
        REFUSED.put("http://ann:@host", "server: a password in the URL is never sent; give a token, got http://***@host");
        REFUSED.put("http://ann:s3cret@host/?password=s3cret",
                "server: expected a URL without a query (?…): the API's paths go after it, got http://***@host/?password=***");
    }

    @Test
    void eachUrlTheApisPathsCannotFollowIsRefusedSayingWhatIsWrongWithoutItsUserInfo() {
        REFUSED.forEach((url, message) -> assertThatThrownBy(() -> StepstreamClient.builder(url)).as(url)
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message));
    }

    @Test
    void theRuleNamesTheKindOfEachProblemSoThatTheCommandLineCanSayWhereATokenGoes() {
        assertThat(ServerUrlProblem.of("gopher://host")).contains(ServerUrlProblem.NOT_HTTP);
        assertThat(ServerUrlProblem.of("http://host:99999999999")).contains(ServerUrlProblem.PORT);
        assertThat(ServerUrlProblem.of("http://host?x")).contains(ServerUrlProblem.QUERY);
        assertThat(ServerUrlProblem.of("http://host#x")).contains(ServerUrlProblem.FRAGMENT);
        assertThat(ServerUrlProblem.of("http://ann:pw@host")).contains(ServerUrlProblem.PASSWORD);
        assertThat(ServerUrlProblem.of("http://host:00080")).isEmpty();
    }

    /** Java's own limit: a host java.net.URI cannot read, which the JDK's HTTP clients could not use. */
    @Test
    void aHostJavasUriCannotReadIsNoHttpUrl() {
        assertThat(ServerUrlProblem.of("http://under_score:8080")).contains(ServerUrlProblem.NOT_HTTP);
    }

    @Test
    void eachGoodUrlIsTakenAndTheApisPathsGoAfterItsPathWithoutItsUserInfo() {
        Map<String, String> apiAt = new LinkedHashMap<>();
        apiAt.put("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v2/runs");
        apiAt.put("http://127.0.0.1", "http://127.0.0.1/api/v2/runs");
        apiAt.put("https://ci.example.com:1/stepstream", "https://ci.example.com:1/stepstream/api/v2/runs");
        apiAt.put("https://ci.example.com:65535/stepstream/", "https://ci.example.com:65535/stepstream/api/v2/runs");
        apiAt.put("http://[::1]:8080", "http://[::1]:8080/api/v2/runs");
        apiAt.put("HTTPS://ci.example.com", "HTTPS://ci.example.com/api/v2/runs");
        apiAt.put("http://ann@127.0.0.1:8080/", "http://127.0.0.1:8080/api/v2/runs");
        apiAt.forEach((url, api) -> {
            assertThat(ServerUrlProblem.of(url)).as(url).isEmpty();
            try (StepstreamClient client = StepstreamClient.builder(url).build()) {
                assertThat(client.uri("/api/v2/runs")).as(url).hasToString(api);
            }
        });
    }
}
