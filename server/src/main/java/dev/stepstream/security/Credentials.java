package dev.stepstream.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a bearer token into a {@link Principal}: a token of the tokens file (by its SHA-256
 * hash), or a JWT. The tokens file is read again when it changes ({@link #reload}), so that a
 * token created or revoked with {@code stepstream token} takes effect without a restart.
 *
 * <p>Thread-safe: the tokens are an immutable snapshot behind a volatile field, replaced whole
 * by the one thread that calls {@link #reload}.
 */
public final class Credentials {
    private static final Logger log = LoggerFactory.getLogger(Credentials.class);

    /** A token that gives no access; the message says why and never holds the token. */
    public static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private final Path tokensPath;
    private final JwtVerifier jwt;
    private volatile TokenFile tokens;        // replaced by reload()
    private volatile FileTime tokensModified; // written by reload() only

    private Credentials(Path tokensPath, JwtVerifier jwt) {
        this.tokensPath = tokensPath;
        this.jwt = jwt;
    }

    /** The credentials of {@code settings}; the files were checked by {@code Config.resolve}. */
    static Credentials from(SecuritySettings settings, Clock clock) {
        JwtVerifier jwt = null;
        if (settings.jwtSecret() != null) {
            jwt = JwtVerifier.hs256(JwtVerifier.secretBytes(settings.jwtSecret()), settings.jwtIssuer(), settings.jwtAudience(), clock);
        } else if (settings.jwtPublicKey() != null) {
            try {
                jwt = JwtVerifier.rs256(Files.readString(settings.jwtPublicKey(), StandardCharsets.UTF_8), settings.jwtIssuer(),
                        settings.jwtAudience(), clock);
            } catch (IOException e) {
                throw new IllegalStateException("--jwt-public-key: cannot read " + settings.jwtPublicKey() + ": " + e.getMessage(), e);
            }
        }
        Credentials credentials = new Credentials(settings.tokensFile(), jwt);
        if (settings.tokensFile() != null) {
            try {
                credentials.tokensModified = Files.getLastModifiedTime(settings.tokensFile());
                credentials.tokens = TokenFile.read(settings.tokensFile());
            } catch (IOException e) {
                throw new IllegalStateException("--tokens-file: cannot read " + settings.tokensFile() + ": " + e.getMessage(), e);
            }
        }
        return credentials;
    }

    /** Whether any credentials are configured; without, every request is {@link Principal#ANONYMOUS}. */
    boolean required() {
        return tokensPath != null || jwt != null;
    }

    Principal authenticate(String token) throws Refused {
        if (token.isEmpty() || token.length() > 8192) {
            throw new Refused("the token is not valid");
        }
        boolean looksLikeJwt = token.startsWith("eyJ") && token.chars().filter(c -> c == '.').count() == 2;
        if (jwt != null && looksLikeJwt) {
            try {
                return jwt.verify(token);
            } catch (JwtVerifier.Refused e) {
                throw new Refused(e.getMessage());
            }
        }
        TokenFile snapshot = tokens;
        if (snapshot != null) {
            TokenFile.Entry entry = snapshot.check(token);
            if (entry != null) {
                return new Principal("token:" + entry.name(), entry.role(), null);
            }
        }
        throw new Refused(looksLikeJwt && jwt == null ? "this server does not accept JWTs" : "the token is not valid");
    }

    /** Whether a principal authenticated earlier still holds its role (a token may have been revoked since). */
    boolean stillValid(Principal principal) {
        if (!principal.name().startsWith("token:")) {
            return true; // JWTs end at their expiry, which the stream's timer enforces
        }
        TokenFile snapshot = tokens;
        String name = principal.name().substring("token:".length());
        return snapshot != null && snapshot.entries().stream()
                .anyMatch(entry -> entry.name().equals(name) && entry.role().includes(principal.role()));
    }

    /**
     * Reads the tokens file again if it changed. A file that no longer parses is logged and the
     * tokens known before are kept: a typo must not lock everyone out, nor let everyone in.
     * @return the names of tokens that were revoked or lost their role
     */
    Set<String> reload() {
        if (tokensPath == null) {
            return Set.of();
        }
        try {
            FileTime modified = Files.getLastModifiedTime(tokensPath);
            if (modified.equals(tokensModified)) {
                return Set.of();
            }
            TokenFile next = TokenFile.read(tokensPath);
            TokenFile before = tokens;
            tokens = next;
            tokensModified = modified;
            Set<String> gone = new HashSet<>();
            for (TokenFile.Entry old : before.entries()) {
                boolean kept = next.entries().stream().anyMatch(entry -> entry.name().equals(old.name())
                        && java.util.Arrays.equals(entry.hash(), old.hash()) && entry.role().includes(old.role()));
                if (!kept) {
                    gone.add(old.name());
                }
            }
            log.info("tokens file {} read again: {} tokens{}", tokensPath, next.entries().size(),
                    gone.isEmpty() ? "" : ", revoked: " + String.join(", ", gone));
            return gone;
        } catch (IOException | IllegalArgumentException e) {
            log.warn("tokens file {} could not be read again, keeping the tokens known before: {}", tokensPath, e.getMessage());
            return Set.of();
        }
    }

    /** Whether {@code secret} is long enough for HS256. */
    public static boolean goodSecret(String secret) {
        return JwtVerifier.secretBytes(secret).length >= 32;
    }

    /** What is wrong with a PEM RSA public key, or null. */
    public static String publicKeyProblem(String pem) {
        try {
            JwtVerifier.publicKey(pem);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
