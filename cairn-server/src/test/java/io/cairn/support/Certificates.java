package io.cairn.support;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made the way an operator makes them: {@code ./run.sh certs DIR CN...} (openssl). Also the JDK
 * SSLContexts that trust such a CA, with or without a client certificate, for clients that are not Vert.x.
 */
public final class Certificates {
  private Certificates() {
  }

  /**
   * A CA, a node certificate (127.0.0.1, localhost) and a client certificate per CN, in a new directory, deleted when
   * the test JVM exits.
   */
  public static Path make(String... clientCns) {
    try {
      Path dir = TempDirs.deletedAtExit(Files.createTempDirectory("cairn-tls"));
      List<String> command = new ArrayList<>(List.of("bash", "run.sh", "certs", dir.toString()));
      command.addAll(List.of(clientCns));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("./run.sh certs failed: " + output);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Trusts the CA in {@code caPem}; presents {@code name}.pem / {@code name}-key.pem from its directory when not null. */
  public static SSLContext sslContext(Path caPem, String clientName) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", readCertificates(caPem).get(0));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyManagerFactory kmf = null;
      if (clientName != null) {
        Path dir = caPem.getParent();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", privateKey(dir.resolve(clientName + "-key.pem")), new char[0],
            readCertificates(dir.resolve(clientName + ".pem")).toArray(new Certificate[0]));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Certificate> readCertificates(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
    }
  }

  private static PrivateKey privateKey(Path pem) throws Exception {
    String base64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }
}
