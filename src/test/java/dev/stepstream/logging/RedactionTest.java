package dev.stepstream.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {
    @Test
    void everyPlaceATokenTravelsIsRedactedAndTheRestKept() {
        assertThat(Redaction.text("GET /x/stream?after=3&access_token=abc.DEF-123&batch=1"))
                .isEqualTo("GET /x/stream?after=3&access_token=[redacted]&batch=1");
        assertThat(Redaction.text("Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig_-+/= next"))
                .isEqualTo("Authorization: Bearer [redacted] next");
        assertThat(Redaction.text("(protocols stepstream.v2, stepstream.bearer.s3cr3t~token)"))
                .isEqualTo("(protocols stepstream.v2, stepstream.bearer.[redacted])");
        assertThat(Redaction.text("ACCESS_TOKEN=x and bearer   y")).isEqualTo("ACCESS_TOKEN=[redacted] and bearer   [redacted]");
        assertThat(Redaction.text(Redaction.text("access_token=a Bearer b stepstream.bearer.c")))
                .as("redacting twice changes nothing more").isEqualTo("access_token=[redacted] Bearer [redacted] stepstream.bearer.[redacted]");
        assertThat(Redaction.text("GET /api/v2/workflows/runs?limit=5 200")).isEqualTo("GET /api/v2/workflows/runs?limit=5 200");
        assertThat(Redaction.text(null)).isNull();
    }
}
