package io.cairn.health;

import io.cairn.config.CheckTargets;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

/** The checkers this node runs, by type: the built-in http, tcp and grpc ones, and those plugins add. */
public final class Checkers {
  private static final Logger log = LoggerFactory.getLogger(Checkers.class);
  private final Map<String, Checker> byType;

  private Checkers(Map<String, Checker> byType) {
    this.byType = byType;
  }

  /** The built-in checkers and every {@link Checker} found by {@link ServiceLoader} (a plugin may not redefine one). */
  public static Checkers load(String nodeId, CheckTargets targets) {
    Map<String, Checker> map = new LinkedHashMap<>();
    for (Checker c : new Checker[] {new HttpChecker(nodeId, targets), new TcpChecker(), new GrpcChecker()}) {
      map.put(c.type(), c);
    }
    for (Checker plugin : ServiceLoader.load(Checker.class)) {
      if (map.containsKey(plugin.type()) || "ttl".equals(plugin.type())) {
        log.warn("Ignoring check plugin {}: check type '{}' is taken", plugin.getClass().getName(), plugin.type());
        continue;
      }
      map.put(plugin.type(), plugin);
      log.info("Check plugin {} runs checks of type '{}'", plugin.getClass().getName(), plugin.type());
    }
    return new Checkers(Collections.unmodifiableMap(map));
  }

  public void init(Vertx vertx) {
    byType.values().forEach(c -> c.init(vertx));
  }

  /** The probe types (ttl, which is not probed, is not among them). */
  public Set<String> types() {
    return byType.keySet();
  }

  public Checker get(String type) {
    return byType.get(type);
  }
}
