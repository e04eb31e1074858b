package dev.stepstream.security;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * Whether {@code --tls-key} is the key of {@code --tls-cert}. Vert.x loads any key of the
 * certificate's algorithm beside it and listens; with the key of another certificate every
 * handshake then fails, and the server says nothing. So the pair is checked once, at start-up.
 *
 * <p>The key is read by Vert.x's own PEM loader (PKCS#8, PKCS#1 and SEC1 keys, as it will serve
 * them), the certificate (the first of the chain, the server's own) by the JDK. An RSA key is
 * compared with the certificate's public key by modulus and exponent; any other (EC, EdDSA)
 * must sign a random challenge that the certificate's public key verifies, since the JDK cannot
 * derive such a public key from its private key.
 */
final class TlsKeys {
    private TlsKeys() {}

    /**
     * Null when {@code key} (the text of {@code keyFile}) is the private key of the first
     * certificate of {@code chain} (the text of {@code certFile}), or when a certificate cannot
     * be read from it (Vert.x then refuses it, and the server stops naming {@code --tls-cert});
     * otherwise what is wrong with the key, as a line that starts with its file.
     */
    static String problem(Path certFile, String chain, Path keyFile, String key) {
        X509Certificate certificate;
        try {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(chain.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException | RuntimeException e) {
            return null;
        }
        PublicKey publicKey = certificate.getPublicKey();
        PrivateKey privateKey;
        try {
            privateKey = privateKey(chain, key, publicKey.getAlgorithm());
        } catch (Exception e) {
            // The certificate is fine, so it is the key: unreadable, or of another algorithm.
            return keyFile + " cannot be used with the certificate " + certFile + ": " + e.getMessage();
        }
        if (privateKey == null) {
            return null;
        }
        boolean matches;
        if (!privateKey.getAlgorithm().equals(publicKey.getAlgorithm())) {
            matches = false;
        } else if (privateKey instanceof RSAPrivateCrtKey rsa && publicKey instanceof RSAPublicKey rsaPublic) {
            matches = rsa.getModulus().equals(rsaPublic.getModulus()) && rsa.getPublicExponent().equals(rsaPublic.getPublicExponent());
        } else {
            Boolean signs = signs(privateKey, publicKey);
            if (signs == null) {
                return null;
            }
            matches = signs;
        }
        return matches ? null : keyFile + " is not the key of the certificate " + certFile
                + ": their public keys differ (the key of another certificate?)";
    }

    /** The private key as Vert.x loads it beside the certificate, or null if it offers none for that key type. */
    private static PrivateKey privateKey(String chain, String key, String keyType) throws Exception {
        PemKeyCertOptions pem = new PemKeyCertOptions().setCertValue(Buffer.buffer(chain)).setKeyValue(Buffer.buffer(key));
        // Values rather than paths: Vert.x then needs no Vertx instance to read them.
        for (KeyManager manager : pem.getKeyManagerFactory(null).getKeyManagers()) {
            if (manager instanceof X509KeyManager x509) {
                String[] aliases = x509.getServerAliases(keyType, null);
                if (aliases != null && aliases.length > 0) {
                    return x509.getPrivateKey(aliases[0]);
                }
            }
        }
        return null;
    }

    /** Whether a signature by {@code privateKey} verifies with {@code publicKey}; null for a key type this cannot test. */
    private static Boolean signs(PrivateKey privateKey, PublicKey publicKey) {
        String algorithm = switch (privateKey.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> privateKey.getAlgorithm();
            case "RSA" -> "SHA256withRSA";
            default -> null;
        };
        if (algorithm == null) {
            return null;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // a key of another curve, say: it cannot be this certificate's
        }
    }
}
