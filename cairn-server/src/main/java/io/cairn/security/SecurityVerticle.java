package io.cairn.security;

import io.cairn.config.SecuritySettings;
import io.cairn.node.Addresses;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.file.FileProps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps {@link Security} in step with the files on disk: the tokens file, the ACL model and policy, and the TLS
 * certificates. Reads them at start (creating a first tokens file with a generated admin token when the configured
 * one does not exist), then looks at their size and modification time every {@code security.reloadInterval}; a
 * changed tokens or policy file is re-read and replaces the old one whole, a changed certificate is announced on
 * {@link Addresses#TLS_CHANGED} for the listeners to reload. A file that no longer parses is logged and the previous
 * version stays in force: a typo never opens the door or locks everyone out.
 */
public class SecurityVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(SecurityVerticle.class);

  private final SecuritySettings settings;
  private final Security security;
  /** Size and modification time of each watched file, as last seen. */
  private final Map<String, String> seen = new HashMap<>();

  public SecurityVerticle(SecuritySettings settings, Security security) {
    this.settings = settings;
    this.security = security;
  }

  @Override
  public void start(Promise<Void> started) {
    vertx.<Void>executeBlocking(() -> {
      if (security.tokensEnabled()) {
        createFirstTokensFile(Path.of(settings.tokensFile()));
      }
      loadAccess();
      return null;
    }, false).compose(v -> fingerprints()).onSuccess(prints -> {
      seen.putAll(prints);
      vertx.setPeriodic(settings.reloadIntervalMillis(), id -> lookForChanges());
    }).<Void>mapEmpty().onComplete(started);
  }

  private void createFirstTokensFile(Path file) throws IOException {
    if (Files.exists(file)) {
      return;
    }
    String secret = TokenFile.newSecret();
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.writeString(file, TokenFile.firstFile("admin", secret), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // the file system has no such permissions
    }
    // Printed once, to the console only: the file keeps the hash, never the secret.
    System.out.println("cairn: created " + file + " with a token named 'admin'; its secret, shown only now: " + secret);
  }

  /**
   * Reads the tokens file and the ACL files and puts them in force together, or, when one does not read, neither
   * (an exception, with the previous ones left as they were).
   */
  private void loadAccess() throws IOException {
    TokenFile tokens = security.tokensEnabled()
        ? TokenFile.parse(Files.readString(Path.of(settings.tokensFile())), settings.tokensFile()) : null;
    AclPolicy acl = readAcl();
    if (tokens != null) {
      security.tokens(tokens);
      log.info("tokens file {} read: {} tokens", settings.tokensFile(), tokens.size());
    }
    security.acl(acl);
  }

  private AclPolicy readAcl() throws IOException {
    if (settings.aclPolicy().isBlank()) {
      return AclPolicy.ALLOW_ALL;
    }
    String model = settings.aclModel().isBlank() ? AclPolicy.shippedModel() : Files.readString(Path.of(settings.aclModel()));
    AclPolicy acl = AclPolicy.of(model, Files.readString(Path.of(settings.aclPolicy())));
    log.info("ACL policy {}: {} rules, deny by default", settings.aclPolicy(), acl.rules());
    return acl;
  }

  private List<String> tokenAndAclFiles() {
    return configured(settings.tokensFile(), settings.aclModel(), settings.aclPolicy());
  }

  private List<String> tlsFiles() {
    return configured(settings.tlsCertFile(), settings.tlsKeyFile(), settings.tlsClientCaFile());
  }

  private static List<String> configured(String... files) {
    return Arrays.stream(files).filter(f -> !f.isBlank()).toList();
  }

  private Future<Map<String, String>> fingerprints() {
    List<String> files = new ArrayList<>(tokenAndAclFiles());
    files.addAll(tlsFiles());
    Map<String, String> prints = new HashMap<>();
    List<Future<FileProps>> props = new ArrayList<>();
    for (String f : files) {
      props.add(vertx.fileSystem().props(f).onSuccess(p -> prints.put(f, p.size() + "@" + p.lastModifiedTime()))
          .recover(missing -> {
            prints.put(f, "missing");
            return Future.succeededFuture();
          }));
    }
    return Future.all(props).map(v -> prints);
  }

  private boolean reading;

  private void lookForChanges() {
    if (reading) {
      return;
    }
    reading = true;
    fingerprints().compose(prints -> {
      boolean accessChanged = tokenAndAclFiles().stream().anyMatch(f -> !prints.get(f).equals(seen.get(f)));
      boolean tlsChanged = tlsFiles().stream().anyMatch(f -> !prints.get(f).equals(seen.get(f)));
      seen.putAll(prints);
      if (tlsChanged) {
        log.info("TLS certificate files changed; the listeners reload them");
        vertx.eventBus().publish(Addresses.TLS_CHANGED, null,
            new DeliveryOptions().setLocalOnly(true));
      }
      return accessChanged ? reloadAccess() : Future.succeededFuture();
    }).onComplete(ar -> reading = false);
  }

  private Future<Void> reloadAccess() {
    return vertx.<Void>executeBlocking(() -> {
      try {
        loadAccess();
      } catch (IOException | RuntimeException e) {
        log.error("security files not reloaded, the previous ones stay in force: {}", e.getMessage());
      }
      return null;
    }, false);
  }
}
