package io.cairn.api;

import io.cairn.gateway.Gateway;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.security.PolicyInForce;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyUpstreamsTest {

  @Test
  void aCallerSeesTheSplitsOfTheServicesItMayReadEachRouteAtItsNewestRevision() throws Exception {
    try (ApiFixture secured = ApiFixture.secured()) {
      Access access = new Access(secured.cfg.security(), PolicyInForce.security(secured.cfg,
          "p, viewer, service:cart, read, allow"));
      // The gateway still counts for the revision a rewrite replaced, until it forgets what is no longer in force.
      List<Gateway.SplitShare> counted = List.of(share("cart-canary", "cart", 12, 80, 20),
          share("cart-canary", "cart", 15, 50, 50), share("pay-canary", "pay", 14, 90, 10));
      ProxyUpstreams upstreams = new ProxyUpstreams(access, List::of, () -> counted);

      List<Gateway.SplitShare> seen = upstreams.splitsReadableBy(new Caller("viewer", "127.0.0.1"));

      assertThat(seen).hasSize(1);
      assertThat(seen.get(0).route().revision()).isEqualTo(15);
      assertThat(seen.get(0).route().traffic().split()).extracting(Route.Split::weight).containsExactly(50, 50);
      assertThat(upstreams.splitsReadableBy(new Caller("stranger", "127.0.0.1"))).isEmpty();
    }
  }

  private static Gateway.SplitShare share(String id, String service, long revision, int v1, int v2) {
    JsonArray split = new JsonArray()
        .add(new JsonObject().put("select", new JsonObject().put("version", "^1")).put("weight", v1))
        .add(new JsonObject().put("select", new JsonObject().put("version", "^2")).put("weight", v2));
    return new Gateway.SplitShare(Routes.parse(new JsonObject().put("service", service).put("split", split), id)
        .at(revision), List.of((long) v1, (long) v2));
  }
}
