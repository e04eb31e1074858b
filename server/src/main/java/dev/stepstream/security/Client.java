package dev.stepstream.security;

/**
 * The client of one request, as the limits see it.
 *
 * @param key       what the per-client limits count by: {@code token:<name>}, {@code jwt:<sub>}, or
 *                  {@code ip:<address>} for a request without valid credentials
 * @param principal who it is; null when it gave no valid credentials on a server that needs them
 * @param limited   whether the per-client limits apply: not to clients on this machine of a
 *                  server without credentials (local tools, tests, the benchmark)
 */
record Client(String key, Principal principal, boolean limited) {
    static final String CONTEXT_KEY = "stepstream.client";
}
