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

    @Test
    void aParameterIsRecognisedByItsDecodedName() {
        assertThat(Redaction.text("GET /x?%61ccess_token=s3cr3t&after=1")).isEqualTo("GET /x?%61ccess_token=[redacted]&after=1");
        assertThat(Redaction.text("GET /x?after=1&access%5Ftoken=s3cr3t")).isEqualTo("GET /x?after=1&access%5Ftoken=[redacted]");
        assertThat(Redaction.text("GET /x?%61%63%63%65%73%73%5f%74%6F%6B%65%6E=s3cr3t"))
                .isEqualTo("GET /x?%61%63%63%65%73%73%5f%74%6F%6B%65%6E=[redacted]");
        assertThat(Redaction.text("GET /x?a=1;%41CCESS_TOKEN=s3cr3t")).as("Vert.x splits at ; too")
                .isEqualTo("GET /x?a=1;%41CCESS_TOKEN=[redacted]");
        assertThat(Redaction.text("GET /x?access+token=s3cr3t&accessToken=s3cr3t&%20access_token%00=s3cr3t"))
                .as("near misses, which do not authenticate, are still not written")
                .isEqualTo("GET /x?access+token=[redacted]&accessToken=[redacted]&%20access_token%00=[redacted]");
        assertThat(Redaction.text("GET /x?%zz=1&%61ccess_token%=s3cr3t")).isEqualTo("GET /x?%zz=1&%61ccess_token%=[redacted]");
        assertThat(Redaction.text("GET /x?%61ccess=1&tokens=2&steps=a%2Cb&q=token 200"))
                .as("other parameters are kept").isEqualTo("GET /x?%61ccess=1&tokens=2&steps=a%2Cb&q=token 200");
    }

    /** Names the server does not take, but a client sends a credential under by mistake. */
    @Test
    void aParameterNamedForACredentialIsRedactedThoughTheServerDoesNotReadIt() {
        assertThat(Redaction.text("GET /api/v2/workflows?token=ss_4Cny9 401"))
                .isEqualTo("GET /api/v2/workflows?token=[redacted] 401");
        assertThat(Redaction.text("GET /x?api_token=a&Auth-Token=b&id_token=c&JWT=d&bearer=e&authorization=f&after=1"))
                .isEqualTo("GET /x?api_token=[redacted]&Auth-Token=[redacted]&id_token=[redacted]&JWT=[redacted]"
                        + "&bearer=[redacted]&authorization=[redacted]&after=1");
    }
}
