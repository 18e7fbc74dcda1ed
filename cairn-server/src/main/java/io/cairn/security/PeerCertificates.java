package io.cairn.security;

import io.vertx.core.http.HttpConnection;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;

/** The name a client certificate gives its holder: the subject's common name (CN), verified by the TLS handshake. */
public final class PeerCertificates {
  private PeerCertificates() {
  }

  /** The CN of the verified client certificate on this connection, or null (no TLS, no certificate, no CN). */
  public static String subjectCn(HttpConnection connection) {
    if (connection == null || !connection.isSsl()) {
      return null;
    }
    try {
      List<Certificate> chain = connection.peerCertificates();
      if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf)) {
        return null;
      }
      return commonName(leaf.getSubjectX500Principal().getName());
    } catch (SSLPeerUnverifiedException noCertificate) {
      return null;
    }
  }

  static String commonName(String distinguishedName) {
    try {
      List<Rdn> rdns = new LdapName(distinguishedName).getRdns();
      for (int i = rdns.size() - 1; i >= 0; i--) { // the most specific CN, should there be several
        if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
          String cn = String.valueOf(rdns.get(i).getValue());
          return cn.isBlank() ? null : cn;
        }
      }
    } catch (InvalidNameException unreadable) {
      return null;
    }
    return null;
  }
}
