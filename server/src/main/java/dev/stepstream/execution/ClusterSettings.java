package dev.stepstream.execution;

import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

/**
 * How this node takes part in a cluster (DESIGN.md "Scale"): its id in the store (the owner of
 * the runs it claims); its lease, renewed every third of it, past which another node marks its
 * running runs interrupted; and how often it polls the store for queued runs and cancels, and
 * for events of followed runs that Redis did not bring (or all of them, while Redis is down), and
 * for the secrets' version (a secret set through another node is masked here within a poll).
 */
public record ClusterSettings(String nodeId, Duration lease, Duration pollInterval) {
    public static final Setting<String> NODE_ID = Setting.of("node-id", "ID", null, "This node's name in the shared store.",
            text -> {
                if (!text.matches("[A-Za-z0-9_.-]{1,100}")) {
                    throw new IllegalArgumentException("expected 1 to 100 letters, digits, '.', '_' or '-', got \"" + text + "\"");
                }
                return text;
            }).defaultShownAs("host name and a random suffix");
    public static final Setting<Duration> LEASE = Setting.duration("lease", Duration.ofSeconds(15),
            "Node lease; another node marks this one's running runs interrupted once it lapses.");
    public static final Setting<Duration> POLL_INTERVAL = Setting.duration("poll-interval", Duration.ofSeconds(1),
            "How often the store is polled for queued runs, cancels, events Redis did not bring, and secrets set elsewhere.");

    /** This package's settings, in the order {@code --help} lists them. */
    public static final List<Setting<?>> ALL = List.of(NODE_ID, LEASE, POLL_INTERVAL);

    public static ClusterSettings defaults() {
        return new ClusterSettings(defaultNodeId(), LEASE.defaultValue(), POLL_INTERVAL.defaultValue());
    }

    /** @throws dev.stepstream.settings.ConfigException naming the setting, for a lease under a second */
    public static ClusterSettings from(Settings settings) {
        String nodeId = settings.get(NODE_ID);
        ClusterSettings cluster = new ClusterSettings(nodeId == null ? defaultNodeId() : nodeId, settings.get(LEASE),
                settings.get(POLL_INTERVAL));
        if (cluster.lease().compareTo(Duration.ofSeconds(1)) < 0) {
            throw settings.wrong(LEASE, "must be at least 1s, got \"" + settings.raw(LEASE) + "\"");
        }
        return cluster;
    }

    /** The host name and a random suffix: unique per process, readable in the store. */
    static String defaultNodeId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "node";
        }
        return host.replaceAll("[^A-Za-z0-9_.-]", "") + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }
}
