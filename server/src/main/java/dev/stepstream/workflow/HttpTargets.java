package dev.stepstream.workflow;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where {@code http} steps may send requests (the server's SSRF stance, docs/security.md).
 * With no {@code --http-allow} patterns, any host but two kinds: this server itself (a loopback
 * or local address on its own port: a workflow that executes itself would never end), except
 * its probes {@code /healthz} and {@code /readyz}, which change nothing (the sample workflow
 * {@code http-check} checks this very server), and
 * addresses where cloud metadata lives ({@link #cloudMetadata}: link-local, and the services'
 * few others; they hand out credentials there). With patterns, only hosts that match one: {@code api.example.com},
 * {@code *.example.com} (any subdomain), an IP address, each optionally with {@code :port}.
 *
 * <p>Checked twice: when a workflow is registered, for a URL written without expressions (a
 * 422 then), and before each request, after expressions are rendered and the host resolved.
 * Immutable and thread-safe.
 */
public final class HttpTargets {
    /** The port of a guard that belongs to no server: no URL is refused as "this server itself". */
    private static final int NO_PORT = -1;

    /** No restriction at all; for tests and embeddings that do not listen. */
    public static final HttpTargets ANY = new HttpTargets(List.of(), NO_PORT, false);

    private static final Pattern HOST_PATTERN = Pattern.compile(
            "(\\*\\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\\d{1,5})?"
            + "|\\[[0-9a-f:.]+](:\\d{1,5})?");

    /** This server's paths an http step may call: they answer, and change nothing. */
    private static final java.util.Set<String> PROBES = java.util.Set.of("/healthz", "/readyz");

    private final List<String> allow;
    private final int ownPort;
    private final boolean guard;

    private HttpTargets(List<String> allow, int ownPort, boolean guard) {
        this.allow = List.copyOf(allow);
        this.ownPort = ownPort;
        this.guard = guard;
    }

    /** @param allow the {@code --http-allow} patterns (lower case); empty for the default stance
     *  @param ownPort the port this server listens on */
    public static HttpTargets of(List<String> allow, int ownPort) {
        return new HttpTargets(allow, ownPort, true);
    }

    /**
     * The guard of a server with these patterns, as it judges a workflow it registers, but with
     * no port of its own: for {@code stepstream workflows check}, which runs without a server and
     * cannot know the port one will listen on ({@code --port 0}, another machine, a proxy's). So
     * a URL to a loopback or local address is not refused as this server itself, which the server
     * that takes the workflow still does on its own port; every other refusal is the same.
     *
     * @param allow the {@code --http-allow} patterns (lower case); empty for the default stance
     */
    public static HttpTargets withoutServer(List<String> allow) {
        return new HttpTargets(allow, NO_PORT, true);
    }

    public static boolean validPattern(String pattern) {
        return HOST_PATTERN.matcher(pattern).matches();
    }

    /** Why a registered URL (without expressions) may not be called, or null. No DNS look-up. */
    public String refusalOf(String url) {
        URI uri = parse(url);
        if (uri == null) {
            return null; // the validator reports what is wrong with the URL itself
        }
        return refusal(uri, false);
    }

    /** Why this request may not be sent, or null; resolves the host to check its addresses. */
    public String refusal(URI uri) {
        return refusal(uri, true);
    }

    private String refusal(URI uri, boolean resolve) {
        if (!guard) {
            return null;
        }
        String host = uri.getHost();
        if (host == null) {
            return "the URL has no host";
        }
        host = host.toLowerCase(Locale.ROOT);
        int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        if (!allow.isEmpty()) {
            for (String pattern : allow) {
                if (matches(pattern, host, port)) {
                    return null;
                }
            }
            return "host " + host + (uri.getPort() != -1 ? ":" + port : "") + " is not in --http-allow";
        }
        InetAddress[] addresses;
        try {
            if (resolve) {
                addresses = InetAddress.getAllByName(host);
            } else if (host.equals("localhost") || host.endsWith(".localhost")) {
                addresses = new InetAddress[] {InetAddress.getLoopbackAddress()};
            } else if (isLiteral(host)) {
                addresses = InetAddress.getAllByName(host); // a literal: no look-up
            } else {
                return null;
            }
        } catch (UnknownHostException e) {
            return null; // the request itself fails and says so
        }
        for (InetAddress address : addresses) {
            String metadata = cloudMetadata(address);
            if (metadata != null) {
                return metadata + " may not be called unless listed in --http-allow";
            }
            if (port == ownPort && !PROBES.contains(uri.getPath())
                    && (address.isLoopbackAddress() || address.isAnyLocalAddress() || isOwnInterface(address))) {
                return "an http step may not call this server itself (" + host + ":" + port + ") unless listed in --http-allow";
            }
        }
        return null;
    }

    /**
     * What makes an address one where cloud metadata may live, or null: link-local (169.254.0.0/16,
     * fe80::/10: AWS, GCP, Azure, Oracle), the metadata services' other addresses (AWS's IPv6
     * {@code fd00:ec2::254}, Alibaba's {@code 100.100.100.200}), or an IPv6 address that carries
     * one of those IPv4 addresses (NAT64's {@code 64:ff9b::/96}, 6to4's {@code 2002::/16},
     * IPv4-compatible {@code ::/96}; an IPv4-mapped one is an IPv4 address to Java already).
     */
    static String cloudMetadata(InetAddress address) {
        if (address.isLinkLocalAddress()) {
            return "link-local addresses (" + address.getHostAddress() + ", where cloud metadata lives)";
        }
        if (METADATA.contains(address)) {
            return "the cloud metadata address " + address.getHostAddress();
        }
        InetAddress carried = carriedIpv4(address);
        if (carried != null && (carried.isLinkLocalAddress() || METADATA.contains(carried))) {
            return "an address that carries " + carried.getHostAddress() + " (" + address.getHostAddress() + ", where cloud metadata lives)";
        }
        return null;
    }

    private static final java.util.Set<InetAddress> METADATA = java.util.Set.of(
            literal("fd00:ec2:0:0:0:0:0:254"), literal("100.100.100.200"));

    private static InetAddress literal(String address) {
        try {
            return InetAddress.getByName(address); // a literal: no look-up
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The IPv4 address an IPv6 one carries by NAT64's well-known prefix, 6to4, or IPv4-compatibility; else null. */
    private static InetAddress carriedIpv4(InetAddress address) {
        if (!(address instanceof java.net.Inet6Address)) {
            return null;
        }
        byte[] b = address.getAddress();
        int from;
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b && allZero(b, 4, 12)) {
            from = 12; // 64:ff9b::a.b.c.d (RFC 6052)
        } else if (b[0] == 0x20 && b[1] == 0x02) {
            from = 2; // 2002:AABB:CCDD::/48 (RFC 3056)
        } else if (allZero(b, 0, 12)) {
            from = 12; // ::a.b.c.d
        } else {
            return null;
        }
        try {
            return InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, from, from + 4));
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static boolean allZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isOwnInterface(InetAddress address) {
        try {
            return java.net.NetworkInterface.getByInetAddress(address) != null;
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    private static boolean isLiteral(String host) {
        return host.matches("[0-9.]+") || host.startsWith("[") || host.contains(":");
    }

    private static boolean matches(String pattern, String host, int port) {
        String hostPattern = pattern;
        int colon = pattern.lastIndexOf(':');
        if (colon > 0 && pattern.indexOf(']') < colon) {
            hostPattern = pattern.substring(0, colon);
            if (Integer.parseInt(pattern.substring(colon + 1)) != port) {
                return false;
            }
        }
        if (hostPattern.startsWith("[")) {
            hostPattern = hostPattern.substring(1, hostPattern.length() - 1);
            host = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        }
        if (hostPattern.startsWith("*.")) {
            return host.endsWith(hostPattern.substring(1));
        }
        return host.equals(hostPattern);
    }

    private static URI parse(String url) {
        try {
            return URI.create(url);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
