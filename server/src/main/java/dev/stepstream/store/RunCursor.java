package dev.stepstream.store;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

/**
 * A position in the runs listing: the (created_at, run_id) of the last run of a page, the
 * listing's sort key. On the wire it is opaque: base64url of {@code <createdAtMillis>_<runId>},
 * so that clients pass it back rather than build one.
 */
record RunCursor(long createdAtMillis, String runId) {

    String encode() {
        byte[] text = (createdAtMillis + "_" + runId).getBytes(StandardCharsets.US_ASCII);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text);
    }

    /** @throws IllegalArgumentException when {@code cursor} is not one that {@link #encode} made */
    static RunCursor decode(String cursor) {
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
            int separator = text.indexOf('_');
            long createdAt = Long.parseLong(text.substring(0, separator));
            String runId = text.substring(separator + 1);
            // Only the canonical spelling compares correctly against the stored ids.
            if (!UUID.fromString(runId).toString().equals(runId)) {
                throw new IllegalArgumentException("not a canonical run id");
            }
            return new RunCursor(createdAt, runId);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("malformed cursor \"" + abbreviate(cursor)
                    + "\": pass the \"next\" value of a previous page unchanged", e);
        }
    }

    private static String abbreviate(String cursor) {
        return cursor.length() <= 80 ? cursor : cursor.substring(0, 80) + "…";
    }
}
