package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.stepstream.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** RS256 JWTs checked with a PEM public key, with issuer and audience; no other algorithm gets in. */
@Timeout(60)
class JwtRs256Test {
    @TempDir
    static Path dir;
    static TestServer server;
    static KeyPair keys;

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        keys = generator.generateKeyPair();
        Path pem = Files.writeString(dir.resolve("public.pem"), "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        SecuritySettings settings = dev.stepstream.app.Config.resolve(java.util.Map.of("jwt-public-key", pem.toString(),
                "jwt-issuer", "https://id.example.com", "jwt-audience", "stepstream"), java.util.Map.of()).security();
        server = TestServer.start(dir.resolve("data"), config -> config.withSecurity(settings));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static JWTClaimsSet.Builder claims() {
        return new JWTClaimsSet.Builder().subject("dana").claim("role", "operator").issuer("https://id.example.com")
                .audience("stepstream").expirationTime(Date.from(Instant.now().plusSeconds(600)));
    }

    static String rs256(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
        jwt.sign(new RSASSASigner(keys.getPrivate()));
        return jwt.serialize();
    }

    static TestServer.Response list(String token) {
        return server.send(server.request("/api/v2/workflows").header("Authorization", "Bearer " + token));
    }

    @Test
    void aTokenSignedWithThePrivateKeyIsAccepted() throws Exception {
        assertThat(list(rs256(claims().build())).status()).isEqualTo(200);
    }

    @Test
    void anotherIssuerOrAudienceOrAMissingExpiryIsRefused() throws Exception {
        for (JWTClaimsSet bad : java.util.List.of(claims().issuer("https://evil.example").build(), claims().audience("other").build(),
                claims().expirationTime(null).build(), claims().subject(null).build())) {
            TestServer.Response answer = list(rs256(bad));
            assertThat(answer.status()).as(bad.toString()).isEqualTo(401);
            assertThat(answer.body().path("error").path("code").asText()).isEqualTo("invalid_token");
        }
    }

    @Test
    void unsignedOrHmacTokensAreRefused() throws Exception {
        String unsigned = new PlainJWT(claims().build()).serialize();
        // The classic confusion: HS256 "signed" with the public key as the secret.
        SignedJWT confused = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims().build());
        confused.sign(new MACSigner(keys.getPublic().getEncoded()));
        for (String token : java.util.List.of(unsigned, confused.serialize())) {
            assertThat(list(token).status()).isEqualTo(401);
        }
    }
}
