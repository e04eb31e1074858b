package dev.stepstream.broker;

import java.util.UUID;

/**
 * Which runs this node's streams follow: told when a run gains its first local subscriber and
 * when it loses its last. Both are called inside the hub's per-run atomic update, so they
 * must return at once (they only note the change for the broker's own thread).
 */
public interface Interest {
    void follow(UUID runId);

    void unfollow(UUID runId);

    Interest NONE = new Interest() {
        @Override
        public void follow(UUID runId) {}

        @Override
        public void unfollow(UUID runId) {}
    };
}
