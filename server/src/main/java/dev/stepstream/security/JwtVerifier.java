package dev.stepstream.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.proc.SingleKeyJWSKeySelector;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;

/**
 * Checks JWTs with Nimbus JOSE+JWT: the signature (HS256 with a shared secret, or RS256 with an
 * RSA public key; no other algorithm, and never {@code none}), then the claims: {@code sub},
 * {@code exp} and {@code role} are required, {@code iss} and {@code aud} must match when
 * configured, {@code nbf} may be up to 30 s in the future (clocks drift), and {@code exp} is
 * strict: a token is refused from its expiry on, and a stream opened with it is closed then.
 *
 * <p>Immutable and thread-safe (Nimbus' processor is, once configured).
 */
final class JwtVerifier {
    private static final int NOT_BEFORE_SKEW_SECONDS = 30;

    /** A token that does not verify; the message says why, and never holds the token. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final Clock clock;

    private JwtVerifier(Clock clock) {
        this.clock = clock;
    }

    /** HS256 with {@code secret} (at least 32 bytes). */
    static JwtVerifier hs256(byte[] secret, String issuer, String audience, Clock clock) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("an HS256 secret must be at least 32 bytes (256 bits), got " + secret.length);
        }
        JwtVerifier verifier = new JwtVerifier(clock);
        verifier.processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(secret)));
        verifier.claims(issuer, audience);
        return verifier;
    }

    /** RS256 with the RSA public key in {@code pem} ({@code -----BEGIN PUBLIC KEY-----}). */
    static JwtVerifier rs256(String pem, String issuer, String audience, Clock clock) {
        JwtVerifier verifier = new JwtVerifier(clock);
        verifier.processor.setJWSKeySelector(new SingleKeyJWSKeySelector<>(JWSAlgorithm.RS256, publicKey(pem)));
        verifier.claims(issuer, audience);
        return verifier;
    }

    static RSAPublicKey publicKey(String pem) {
        String base64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        if (!pem.contains("-----BEGIN PUBLIC KEY-----") || base64.isEmpty()) {
            throw new IllegalArgumentException("expected a PEM RSA public key (-----BEGIN PUBLIC KEY-----)");
        }
        try {
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException("not a PEM RSA public key: " + e.getMessage());
        }
    }

    private void claims(String issuer, String audience) {
        JWTClaimsSet exact = issuer == null ? new JWTClaimsSet.Builder().build() : new JWTClaimsSet.Builder().issuer(issuer).build();
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                audience == null ? null : Set.of(audience), exact, Set.of("sub", "exp", "role"), null) {
            @Override
            protected java.util.Date currentTime() {
                return java.util.Date.from(clock.instant());
            }
        };
        claims.setMaxClockSkew(NOT_BEFORE_SKEW_SECONDS);
        processor.setJWTClaimsSetVerifier(claims);
    }

    /** The principal of a valid token. */
    Principal verify(String token) throws Refused {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ExpiredJWTException e) {
            throw new Refused("the token has expired");
        } catch (BadJWTException e) {
            throw new Refused("the token is not valid: " + e.getMessage());
        } catch (BadJOSEException e) {
            throw new Refused("the token's signature or algorithm is not valid");
        } catch (ParseException e) {
            throw new Refused("the token is not a well-formed JWT");
        } catch (JOSEException | RuntimeException e) {
            throw new Refused("the token could not be checked");
        }
        Instant expires = claims.getExpirationTime().toInstant();
        if (!expires.isAfter(clock.instant())) {
            throw new Refused("the token has expired");
        }
        Object role = claims.getClaim("role");
        Role parsed = role instanceof String text ? Role.fromWire(text) : null;
        if (parsed == null) {
            throw new Refused("the token's role claim must be viewer, operator or admin");
        }
        String subject = claims.getSubject();
        if (subject == null || subject.isBlank() || subject.length() > 256) {
            throw new Refused("the token's sub claim must be a name");
        }
        return new Principal("jwt:" + subject, parsed, expires);
    }

    static byte[] secretBytes(String secret) {
        return secret.getBytes(StandardCharsets.UTF_8);
    }
}
