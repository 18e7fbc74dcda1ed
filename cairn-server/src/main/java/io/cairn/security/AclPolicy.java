package io.cairn.security;

import org.casbin.jcasbin.main.Enforcer;
import org.casbin.jcasbin.model.Model;
import org.casbin.jcasbin.persist.file_adapter.FileAdapter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may do what, decided by jcasbin from a model and a policy ({@code security.acl.*}). A decision costs tens of
 * microseconds at a hundred policy lines, so each (subject, object, action) is decided once and kept; a changed file
 * gives a new instance, and with it an empty cache. Without a policy every authenticated caller may do everything.
 */
public final class AclPolicy {
  /** The model shipped in conf/acl/model.conf (built into the jar), used when security.acl.model names none. */
  public static String shippedModel() {
    try (InputStream in = AclPolicy.class.getClassLoader().getResourceAsStream("acl/model.conf")) {
      if (in == null) {
        throw new IllegalStateException("acl/model.conf is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final int MAX_CACHED = 100_000;

  public static final AclPolicy ALLOW_ALL = new AclPolicy(null, 0);

  private final Enforcer enforcer;
  private final int rules;
  private final Map<String, Boolean> decisions = new ConcurrentHashMap<>();

  private AclPolicy(Enforcer enforcer, int rules) {
    this.enforcer = enforcer;
    this.rules = rules;
  }

  /** A policy from the model's and the policy file's text; a model or policy jcasbin cannot read is refused. */
  public static AclPolicy of(String modelText, String policyText) {
    try {
      Model model = Model.newModelFromString(modelText);
      Enforcer enforcer = new Enforcer(model,
          new FileAdapter(new ByteArrayInputStream(policyText.getBytes(StandardCharsets.UTF_8))), false);
      int rules = enforcer.getPolicy().size() + enforcer.getGroupingPolicy().size();
      return new AclPolicy(enforcer, rules);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the ACL model or policy cannot be read: " + e.getMessage(), e);
    }
  }

  public boolean enforced() {
    return enforcer != null;
  }

  public int rules() {
    return rules;
  }

  public boolean allowed(String subject, String object, String action) {
    if (enforcer == null) {
      return true;
    }
    String key = subject + '\u0000' + object + '\u0000' + action;
    Boolean cached = decisions.get(key);
    if (cached != null) {
      return cached;
    }
    boolean decided;
    synchronized (enforcer) { // jcasbin's Enforcer is not documented as safe for concurrent use
      decided = enforcer.enforce(subject, object, action);
    }
    if (decisions.size() >= MAX_CACHED) {
      decisions.clear();
    }
    decisions.put(key, decided);
    return decided;
  }
}
