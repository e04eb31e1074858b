package dev.stepstream.security;

import dev.stepstream.settings.ConfigException;
import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import dev.stepstream.workflow.HttpTargets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Credentials, TLS, proxies, outbound HTTP and limits (docs/security.md). With neither a tokens
 * file nor JWT settings, the server has no credentials: it is open, and binds loopback only
 * unless {@code --insecure}.
 *
 * @param tokensFile   {@code --tokens-file}: NAME ROLE sha256:HEX lines, or null
 * @param jwtSecret    {@code --jwt-secret}: the HS256 secret (32 bytes or more), or null
 * @param jwtPublicKey {@code --jwt-public-key}: a PEM RSA public key file for RS256, or null
 * @param jwtIssuer    {@code --jwt-issuer}: the {@code iss} a JWT must carry, or null for any
 * @param jwtAudience  {@code --jwt-audience}: a value {@code aud} must hold, or null for any
 * @param trustProxy   {@code --trust-proxy}: honour X-Forwarded-Host/-Proto/-For from a proxy in front
 * @param tlsCert      {@code --tls-cert}: a PEM certificate chain; with {@code tlsKey}, serve HTTPS and WSS
 * @param tlsKey       {@code --tls-key}: its PEM private key (PKCS#8, PKCS#1 or SEC1), checked to be that certificate's ({@link TlsKeys})
 * @param httpAllow    {@code --http-allow}: host patterns {@code http} steps may reach; empty: any host
 *                     but this server itself and link-local (cloud metadata) addresses
 */
public record SecuritySettings(Path tokensFile, String jwtSecret, Path jwtPublicKey, String jwtIssuer, String jwtAudience,
                               boolean trustProxy, Path tlsCert, Path tlsKey, List<String> httpAllow, Limits limits) {

    public static final Setting<String> TOKENS_FILE = Setting.text("tokens-file", "FILE", null,
            "Bearer tokens with roles (NAME ROLE sha256:HEX lines; see stepstream token create).");
    public static final Setting<String> JWT_SECRET = Setting.text("jwt-secret", "SECRET", null,
            "Accept JWTs signed with this HS256 secret (32+ bytes; prefer STEPSTREAM_JWT_SECRET).");
    public static final Setting<String> JWT_PUBLIC_KEY = Setting.text("jwt-public-key", "FILE", null,
            "Accept JWTs signed RS256 with this PEM RSA public key.");
    public static final Setting<String> JWT_ISSUER = Setting.text("jwt-issuer", "ISS", null, "The iss claim a JWT must carry.");
    public static final Setting<String> JWT_AUDIENCE = Setting.text("jwt-audience", "AUD", null,
            "A value the aud claim of a JWT must hold.");
    public static final Setting<Boolean> TRUST_PROXY = Setting.bool("trust-proxy",
            "Honour X-Forwarded-Host/-Proto/-For from a reverse proxy in front.");
    public static final Setting<String> TLS_CERT = Setting.text("tls-cert", "FILE", null,
            "PEM certificate chain: serve HTTPS and WSS (with --tls-key).");
    public static final Setting<String> TLS_KEY = Setting.text("tls-key", "FILE", null, "PEM private key of --tls-cert.");
    public static final Setting<List<String>> HTTP_ALLOW = Setting.lowerCaseList("http-allow", "HOSTS",
            "Host patterns http steps may reach (comma list: api.example.com, *.example.com, 10.0.0.5:8080).",
            HttpTargets::validPattern, "host patterns like api.example.com, *.example.com or 10.0.0.5:8080")
            .defaultShownAs("any host but this server and cloud metadata addresses: link-local, fd00:ec2::254,"
                    + " 100.100.100.200, and their NAT64, 6to4 and IPv4-compatible forms; docs/security.md,"
                    + " \"Outbound HTTP (SSRF)\"");
    public static final Setting<Rate> RATE_LIMIT = Setting.of("rate-limit", "RATE", new Rate(100, Duration.ofSeconds(1)),
            "Requests per client.", Rate::parse);
    public static final Setting<Rate> STREAM_RATE_LIMIT = Setting.of("stream-rate-limit", "RATE",
            new Rate(50, Duration.ofSeconds(1)), "Stream opens per client.", Rate::parse);
    public static final Setting<Integer> MAX_CONNECTIONS = Setting.integer("max-connections", 50_000, 1, 10_000_000,
            "Open connections in all.");
    public static final Setting<Integer> MAX_STREAMS_PER_CLIENT = Setting.integer("max-streams-per-client", 1_000, 1,
            10_000_000, "Open streams of one client.");
    public static final Setting<Integer> MAX_SUBSCRIBERS_PER_RUN = Setting.integer("max-subscribers-per-run", 20_000, 1,
            10_000_000, "Open streams of one run.");
    public static final Setting<Duration> REQUEST_TIMEOUT = Setting.duration("request-timeout", Duration.ofSeconds(30),
            "A request's head, and its body, must arrive within this.");
    public static final Setting<Duration> IDLE_TIMEOUT = Setting.duration("idle-timeout", Duration.ofSeconds(180),
            "Close a connection idle this long.");

    /** This package's settings, in the order {@code --help} lists them. */
    public static final List<Setting<?>> ALL = List.of(TOKENS_FILE, JWT_SECRET, JWT_PUBLIC_KEY, JWT_ISSUER, JWT_AUDIENCE,
            TRUST_PROXY, TLS_CERT, TLS_KEY, HTTP_ALLOW, RATE_LIMIT, STREAM_RATE_LIMIT, MAX_CONNECTIONS,
            MAX_STREAMS_PER_CLIENT, MAX_SUBSCRIBERS_PER_RUN, REQUEST_TIMEOUT, IDLE_TIMEOUT);

    /**
     * The settings' defaults as limits. Here, not as a constant of {@link Limits}: a constant
     * there, built from this class's settings, would be null to {@link #NONE} when Limits is
     * initialised first, and this one null to it when this class is (each initialiser would start
     * the other's while its own runs).
     */
    public static final Limits DEFAULT_LIMITS = new Limits(RATE_LIMIT.defaultValue(), STREAM_RATE_LIMIT.defaultValue(),
            MAX_CONNECTIONS.defaultValue(), MAX_STREAMS_PER_CLIENT.defaultValue(), MAX_SUBSCRIBERS_PER_RUN.defaultValue(),
            REQUEST_TIMEOUT.defaultValue(), IDLE_TIMEOUT.defaultValue());

    /** No credentials, no TLS, default limits: what the existing tests and a laptop run with. */
    public static final SecuritySettings NONE = new SecuritySettings(null, null, null, null, null, false, null, null,
            List.of(), DEFAULT_LIMITS);

    /** {@code permits} per {@code period}, refilled smoothly; a burst may use all of them at once. */
    public record Rate(long permits, Duration period) {
        @Override
        public String toString() {
            return permits + "/" + (period.equals(Duration.ofSeconds(1)) ? "s" : period.equals(Duration.ofMinutes(1)) ? "min" : "h");
        }

        /** {@code N/s}, {@code N/min} or {@code N/h}. */
        static Rate parse(String text) {
            String[] parts = text.trim().split("/", 2);
            try {
                long permits = Long.parseLong(parts[0].trim());
                Duration period = parts.length < 2 ? null : switch (parts[1].trim().toLowerCase(Locale.ROOT)) {
                    case "s", "sec", "second" -> Duration.ofSeconds(1);
                    case "m", "min", "minute" -> Duration.ofMinutes(1);
                    case "h", "hour" -> Duration.ofHours(1);
                    default -> null;
                };
                if (period != null && permits >= 1 && permits <= 1_000_000_000L) {
                    return new Rate(permits, period);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("expected a rate like 100/s, 600/min or 5000/h, got \"" + text + "\"");
        }
    }

    /**
     * What one client, and everyone together, may hold. A client is a token (its name), a JWT
     * subject, or an IP address for requests without valid credentials. On a server without
     * credentials, clients on this machine (loopback) are not held to the per-client limits.
     *
     * @param requests             {@code --rate-limit}: requests per client (429 and Retry-After past it)
     * @param streams              {@code --stream-rate-limit}: stream opens (WebSocket upgrades, SSE) per client
     * @param maxConnections       {@code --max-connections}: open TCP connections in all (503 past it)
     * @param maxStreamsPerClient  {@code --max-streams-per-client}: open streams of one client (429 past it)
     * @param maxSubscribersPerRun {@code --max-subscribers-per-run}: open streams of one run (503 past it)
     * @param requestTimeout       {@code --request-timeout}: a request's head, and its body, must arrive within this (slowloris)
     * @param idleTimeout          {@code --idle-timeout}: a connection with no traffic either way for this long is closed
     */
    public record Limits(Rate requests, Rate streams, int maxConnections, int maxStreamsPerClient, int maxSubscribersPerRun,
                         Duration requestTimeout, Duration idleTimeout) {
    }

    /** Resolves and checks the settings: each bad value is a {@link ConfigException} naming its flag, variable or key. */
    public static SecuritySettings from(Settings settings) {
        Path tokensFile = path(settings, TOKENS_FILE);
        if (tokensFile != null) {
            try {
                TokenFile.read(tokensFile);
            } catch (IOException e) {
                throw settings.wrong(TOKENS_FILE, "cannot read " + tokensFile + ": " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw settings.wrong(TOKENS_FILE, tokensFile + ": " + e.getMessage());
            }
        }
        String jwtSecret = settings.get(JWT_SECRET);
        if (jwtSecret != null && !Credentials.goodSecret(jwtSecret)) {
            throw settings.wrong(JWT_SECRET, "an HS256 secret must be at least 32 bytes (256 bits)");
        }
        Path jwtPublicKey = path(settings, JWT_PUBLIC_KEY);
        if (jwtPublicKey != null) {
            String problem = Credentials.publicKeyProblem(read(settings, JWT_PUBLIC_KEY, jwtPublicKey));
            if (problem != null) {
                throw settings.wrong(JWT_PUBLIC_KEY, jwtPublicKey + ": " + problem);
            }
        }
        if (jwtSecret != null && jwtPublicKey != null) {
            throw settings.wrong(JWT_PUBLIC_KEY, "give either --jwt-secret (HS256) or --jwt-public-key (RS256), not both");
        }
        String issuer = settings.get(JWT_ISSUER);
        String audience = settings.get(JWT_AUDIENCE);
        if ((issuer != null || audience != null) && jwtSecret == null && jwtPublicKey == null) {
            throw settings.wrong(issuer != null ? JWT_ISSUER : JWT_AUDIENCE, "needs --jwt-secret or --jwt-public-key");
        }
        Path tlsCert = path(settings, TLS_CERT);
        Path tlsKey = path(settings, TLS_KEY);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw settings.wrong(tlsCert == null ? TLS_KEY : TLS_CERT, "--tls-cert and --tls-key go together");
        }
        if (tlsCert != null) {
            String chain = pem(settings, TLS_CERT, tlsCert, "CERTIFICATE-----");
            String key = pem(settings, TLS_KEY, tlsKey, "PRIVATE KEY-----");
            String problem = TlsKeys.problem(tlsCert, chain, tlsKey, key);
            if (problem != null) {
                throw settings.wrong(TLS_KEY, problem);
            }
        }
        Limits limits = new Limits(settings.get(RATE_LIMIT), settings.get(STREAM_RATE_LIMIT), settings.get(MAX_CONNECTIONS),
                settings.get(MAX_STREAMS_PER_CLIENT), settings.get(MAX_SUBSCRIBERS_PER_RUN), settings.get(REQUEST_TIMEOUT),
                settings.get(IDLE_TIMEOUT));
        return new SecuritySettings(tokensFile, jwtSecret, jwtPublicKey, issuer, audience, settings.get(TRUST_PROXY),
                tlsCert, tlsKey, settings.get(HTTP_ALLOW), limits);
    }

    private static Path path(Settings settings, Setting<String> setting) {
        String value = settings.get(setting);
        if (value == null) {
            return null;
        }
        Path path = Path.of(value);
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw settings.wrong(setting, "no readable file " + value);
        }
        return path;
    }

    private static String read(Settings settings, Setting<?> setting, Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw settings.wrong(setting, "cannot read " + file + ": " + e.getMessage());
        }
    }

    /** The text of {@code file}, a PEM file with a {@code marker} block. */
    private static String pem(Settings settings, Setting<?> setting, Path file, String marker) {
        String text = read(settings, setting, file);
        if (!text.contains("-----BEGIN") || !text.contains(marker)) {
            throw settings.wrong(setting, file + " is not a PEM file with a " + marker.replace("-----", ""));
        }
        return text;
    }

    /** As a record would print itself, with the JWT secret left out: a secret must not reach a log. */
    @Override
    public String toString() {
        return "SecuritySettings[tokensFile=" + tokensFile + ", jwtSecret=" + (jwtSecret == null ? "none" : "(set)")
                + ", jwtPublicKey=" + jwtPublicKey + ", jwtIssuer=" + jwtIssuer + ", jwtAudience=" + jwtAudience
                + ", trustProxy=" + trustProxy + ", tlsCert=" + tlsCert + ", tlsKey=" + tlsKey + ", httpAllow=" + httpAllow
                + ", limits=" + limits + "]";
    }

    /** Whether any credentials are configured: then every route but the probes and the page needs a token. */
    public boolean credentials() {
        return tokensFile != null || jwtSecret != null || jwtPublicKey != null;
    }

    public SecuritySettings withTokensFile(Path file) {
        return new SecuritySettings(file, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, httpAllow, limits);
    }

    public SecuritySettings withJwtSecret(String secret) {
        return new SecuritySettings(tokensFile, secret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, httpAllow, limits);
    }

    public SecuritySettings withJwtPublicKey(Path key) {
        return new SecuritySettings(tokensFile, jwtSecret, key, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, httpAllow, limits);
    }

    public SecuritySettings withTrustProxy(boolean trust) {
        return new SecuritySettings(tokensFile, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trust, tlsCert, tlsKey, httpAllow, limits);
    }

    public SecuritySettings withTls(Path cert, Path key) {
        return new SecuritySettings(tokensFile, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, cert, key, httpAllow, limits);
    }

    public SecuritySettings withHttpAllow(List<String> patterns) {
        return new SecuritySettings(tokensFile, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, patterns, limits);
    }

    public SecuritySettings withLimits(Limits newLimits) {
        return new SecuritySettings(tokensFile, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, httpAllow, newLimits);
    }
}
