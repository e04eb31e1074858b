package dev.stepstream.api;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook body's signature (docs/security.md, "Webhooks"): the HMAC-SHA256 of the exact bytes
 * of the body under the trigger's secret, as {@code sha256=<64 hex digits>} in
 * {@code X-Hub-Signature-256} (GitHub's header, so GitHub's webhooks work unchanged) or
 * {@code X-Stepstream-Signature}. When both are sent, both must match.
 *
 * <p>No message here holds a signature or a body: they go to the client and to the log.
 */
final class Signatures {
    static final List<String> HEADERS = List.of("X-Hub-Signature-256", "X-Stepstream-Signature");
    private static final String PREFIX = "sha256=";
    private static final int DIGEST_BYTES = 32;

    private Signatures() {}

    /**
     * The digests the request claims, one per signature header it sent.
     *
     * @param given each of {@link #HEADERS} the request sent, with every value it had
     * @throws ApiError 401 {@code invalid_signature} for none, a header sent twice, or a value
     *                  that is not {@code sha256=} and 64 hex digits
     */
    static List<byte[]> parse(Map<String, List<String>> given) {
        List<byte[]> digests = new ArrayList<>();
        for (String header : HEADERS) {
            List<String> values = given.getOrDefault(header, List.of());
            if (values.isEmpty()) {
                continue;
            }
            if (values.size() > 1) {
                throw invalid(header + ": sent " + values.size() + " times; send it once");
            }
            digests.add(digest(header, values.get(0).trim()));
        }
        if (digests.isEmpty()) {
            throw invalid("the body is not signed: send X-Hub-Signature-256 (or X-Stepstream-Signature):"
                    + " sha256=<hex of the HMAC-SHA256 of the body under the webhook's secret>");
        }
        return digests;
    }

    private static byte[] digest(String header, String value) {
        if (value.length() != PREFIX.length() + 2 * DIGEST_BYTES || !value.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            throw invalid(header + ": expected sha256= and 64 hex digits");
        }
        try {
            return HexFormat.of().parseHex(value.substring(PREFIX.length()).toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw invalid(header + ": expected sha256= and 64 hex digits");
        }
    }

    /**
     * Checks each digest against the HMAC-SHA256 of {@code body} under {@code key}, in constant
     * time (the comparison takes as long wherever the first differing byte is).
     *
     * @throws ApiError 401 {@code invalid_signature} when one does not match
     */
    static void verify(List<byte[]> digests, byte[] key, byte[] body) {
        byte[] expected = hmac(key, body);
        boolean all = true;
        for (byte[] digest : digests) {
            all &= MessageDigest.isEqual(expected, digest);
        }
        if (!all) {
            throw invalid("the signature does not match the body (an HMAC-SHA256 of the exact bytes sent, under the webhook's secret)");
        }
    }

    static byte[] hmac(byte[] key, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e); // every JDK has it
        }
    }

    private static ApiError invalid(String message) {
        return new ApiError(401, "invalid_signature", message);
    }
}
