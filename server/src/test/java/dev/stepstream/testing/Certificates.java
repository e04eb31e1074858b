package dev.stepstream.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Self-signed certificates for localhost, made by the JDK's keytool, written as the PEM files --tls-cert and --tls-key read. */
public final class Certificates {
    private static final char[] PASSWORD = "changeit".toCharArray();

    /** A certificate and its key: the PEM files, and the certificate itself (for a client to trust). */
    public record Pair(Path cert, Path key, Certificate certificate) {}

    private Certificates() {}

    /** A new RSA key pair and its certificate, as {@code name.cert.pem} and {@code name.key.pem} (PKCS#8) in {@code dir}. */
    public static Pair selfSigned(Path dir, String name) {
        return selfSigned(dir, name, "RSA");
    }

    /** As {@link #selfSigned(Path, String)}, with a key of {@code algorithm} ({@code RSA}, {@code EC}). */
    public static Pair selfSigned(Path dir, String name, String algorithm) {
        try {
            Files.createDirectories(dir);
            Path keystore = dir.resolve(name + ".p12");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process process = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "stepstream", "-keyalg", algorithm,
                    "-keysize", algorithm.equals("EC") ? "256" : "2048", "-validity", "2", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                    "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD),
                    "-keypass", new String(PASSWORD))).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new AssertionError("keytool failed: " + output);
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                store.load(in, PASSWORD);
            }
            Certificate certificate = store.getCertificate("stepstream");
            Path cert = Files.writeString(dir.resolve(name + ".cert.pem"), pem("CERTIFICATE", certificate.getEncoded()));
            Path key = Files.writeString(dir.resolve(name + ".key.pem"), pem("PRIVATE KEY", store.getKey("stepstream", PASSWORD).getEncoded()));
            return new Pair(cert, key, certificate);
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new AssertionError("could not make a certificate: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
