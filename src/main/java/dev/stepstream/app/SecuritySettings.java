package dev.stepstream.app;

import dev.stepstream.security.Credentials;
import dev.stepstream.security.TokenFile;
import dev.stepstream.workflow.HttpTargets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Resolves and checks {@link Config.Security}: each bad value is a {@link ConfigException} naming its flag, variable or key. */
final class SecuritySettings {
    private SecuritySettings() {}

    static Config.Security resolve(Config.Sources sources) {
        Path tokensFile = path(sources, "tokens-file");
        if (tokensFile != null) {
            try {
                TokenFile.read(tokensFile);
            } catch (IOException e) {
                throw new ConfigException(sources.origin("tokens-file") + ": cannot read " + tokensFile + ": " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(sources.origin("tokens-file") + ": " + tokensFile + ": " + e.getMessage());
            }
        }
        String jwtSecret = sources.text("jwt-secret", null);
        if (jwtSecret != null && !Credentials.goodSecret(jwtSecret)) {
            throw new ConfigException(sources.origin("jwt-secret") + ": an HS256 secret must be at least 32 bytes (256 bits)");
        }
        Path jwtPublicKey = path(sources, "jwt-public-key");
        if (jwtPublicKey != null) {
            String problem = Credentials.publicKeyProblem(read(sources, "jwt-public-key", jwtPublicKey));
            if (problem != null) {
                throw new ConfigException(sources.origin("jwt-public-key") + ": " + jwtPublicKey + ": " + problem);
            }
        }
        if (jwtSecret != null && jwtPublicKey != null) {
            throw new ConfigException(sources.origin("jwt-public-key") + ": give either --jwt-secret (HS256) or --jwt-public-key (RS256), not both");
        }
        String issuer = sources.text("jwt-issuer", null);
        String audience = sources.text("jwt-audience", null);
        if ((issuer != null || audience != null) && jwtSecret == null && jwtPublicKey == null) {
            throw new ConfigException(sources.origin(issuer != null ? "jwt-issuer" : "jwt-audience")
                    + ": needs --jwt-secret or --jwt-public-key");
        }
        boolean trustProxy = sources.bool("trust-proxy");
        Path tlsCert = path(sources, "tls-cert");
        Path tlsKey = path(sources, "tls-key");
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new ConfigException(sources.origin(tlsCert == null ? "tls-key" : "tls-cert") + ": --tls-cert and --tls-key go together");
        }
        if (tlsCert != null) {
            pem(sources, "tls-cert", tlsCert, "CERTIFICATE-----");
            pem(sources, "tls-key", tlsKey, "PRIVATE KEY-----");
        }
        List<String> httpAllow = new ArrayList<>();
        String allow = sources.raw("http-allow");
        if (allow != null && !allow.isBlank()) {
            for (String pattern : allow.split(",")) {
                String trimmed = pattern.trim().toLowerCase(Locale.ROOT);
                if (!HttpTargets.validPattern(trimmed)) {
                    throw new ConfigException(sources.origin("http-allow") + ": expected host patterns like api.example.com,"
                            + " *.example.com or 10.0.0.5:8080, got \"" + pattern.trim() + "\"");
                }
                httpAllow.add(trimmed);
            }
        }
        Config.Limits defaults = Config.Limits.DEFAULTS;
        Config.Limits limits = new Config.Limits(
                rate(sources, "rate-limit", defaults.requests()),
                rate(sources, "stream-rate-limit", defaults.streams()),
                sources.integer("max-connections", defaults.maxConnections(), 1, 10_000_000),
                sources.integer("max-streams-per-client", defaults.maxStreamsPerClient(), 1, 10_000_000),
                sources.integer("max-subscribers-per-run", defaults.maxSubscribersPerRun(), 1, 10_000_000),
                sources.duration("request-timeout", defaults.requestTimeout()),
                sources.duration("idle-timeout", defaults.idleTimeout()));
        return new Config.Security(tokensFile, jwtSecret, jwtPublicKey, issuer, audience, trustProxy, tlsCert, tlsKey,
                List.copyOf(httpAllow), limits);
    }

    private static Path path(Config.Sources sources, String name) {
        String value = sources.text(name, null);
        if (value == null) {
            return null;
        }
        Path path = Path.of(value);
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ConfigException(sources.origin(name) + ": no readable file " + value);
        }
        return path;
    }

    private static String read(Config.Sources sources, String name, Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(sources.origin(name) + ": cannot read " + file + ": " + e.getMessage());
        }
    }

    private static void pem(Config.Sources sources, String name, Path file, String marker) {
        String text = read(sources, name, file);
        if (!text.contains("-----BEGIN") || !text.contains(marker)) {
            throw new ConfigException(sources.origin(name) + ": " + file + " is not a PEM file with a " + marker.replace("-----", ""));
        }
    }

    /** {@code N/s}, {@code N/min} or {@code N/h}. */
    private static Config.Rate rate(Config.Sources sources, String name, Config.Rate defaultValue) {
        String value = sources.raw(name);
        if (value == null) {
            return defaultValue;
        }
        String[] parts = value.trim().split("/", 2);
        try {
            long permits = Long.parseLong(parts[0].trim());
            Duration period = parts.length < 2 ? null : switch (parts[1].trim().toLowerCase(Locale.ROOT)) {
                case "s", "sec", "second" -> Duration.ofSeconds(1);
                case "m", "min", "minute" -> Duration.ofMinutes(1);
                case "h", "hour" -> Duration.ofHours(1);
                default -> null;
            };
            if (period != null && permits >= 1 && permits <= 1_000_000_000L) {
                return new Config.Rate(permits, period);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(sources.origin(name) + ": expected a rate like 100/s, 600/min or 5000/h, got \"" + value + "\"");
    }
}
