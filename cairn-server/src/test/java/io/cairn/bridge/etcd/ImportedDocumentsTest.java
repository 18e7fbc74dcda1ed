package io.cairn.bridge.etcd;

import io.cairn.config.BridgeSettings;
import io.cairn.config.CairnConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** How an import reads etcd's keys: both shapes, the export's own keys left alone, and unusable values explained. */
class ImportedDocumentsTest {
  private static ImportedDocuments documents(String format) {
    JsonObject bridge = new JsonObject().put("type", "etcd-import").put("id", "legacy")
        .put("endpoints", "http://127.0.0.1:2379").put("prefix", "proxy-stone").put("format", format);
    return new ImportedDocuments((BridgeSettings.Etcd) CairnConfig.of(new JsonObject()
        .put("bridges", new JsonArray().add(bridge))).bridges().get(0));
  }

  private static byte[] bytes(Object value) {
    return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void proxyStoneDocumentsBecomeRegistrations() {
    ImportedDocuments docs = documents("proxy-stone");
    JsonObject doc = new JsonObject().put("id", "ps-1").put("name", "proxy-stone").put("host", "10.0.0.7")
        .put("port", 3001).put("status", "healthy").put("version", "1.0.0").put("tags", new JsonArray().add("backend"))
        .put("region", "us-east-1").put("zone", "us-east-1a")
        .put("health", new JsonObject().put("status", "healthy").put("lastCheck", 1640995200000L));
    ImportedDocuments.Instance i = (ImportedDocuments.Instance) docs.read("proxy-stone/services/ps-1", bytes(doc), 30);
    assertThat(i.id()).isEqualTo("ps-1");
    assertThat(i.healthy()).isTrue();
    assertThat(i.registration()).isEqualTo(new JsonObject().put("id", "ps-1").put("name", "proxy-stone")
        .put("address", "10.0.0.7").put("port", 3001).put("version", "1.0.0").put("region", "us-east-1")
        .put("zone", "us-east-1a").put("tags", new JsonArray().add("backend"))
        .put("metadata", new JsonObject().put("source", "etcd:legacy")).put("ttl", "30s"));

    ImportedDocuments.Instance draining = (ImportedDocuments.Instance) docs.read("proxy-stone/services/ps-2",
        bytes(doc.copy().put("id", "ps-2").put("status", "Draining")), 0);
    assertThat(draining.healthy()).isFalse();
    assertThat(draining.status()).isEqualTo("draining");
    assertThat(draining.registration().containsKey("ttl")).as("no lease, no ttl").isFalse();
  }

  @Test
  void cairnShapeTakesTheNameFromTheKey() {
    ImportedDocuments docs = documents("cairn");
    JsonObject doc = new JsonObject().put("id", "a-1").put("name", "api").put("address", "10.0.0.1").put("port", 80)
        .put("health", "unhealthy").put("revision", 12).put("metadata", new JsonObject().put("team", "x"));
    ImportedDocuments.Instance i = (ImportedDocuments.Instance) docs.read("proxy-stone/services/api/a-1", bytes(doc), 0);
    assertThat(i.healthy()).isFalse();
    assertThat(i.registration().getJsonObject("metadata").getMap()).containsEntry("team", "x")
        .containsEntry("source", "etcd:legacy");
    assertThat(i.registration().containsKey("revision")).as("state is Cairn's own").isFalse();
    assertThat(docs.idOf("proxy-stone/services/api/a-1")).isEqualTo("a-1");
    assertThat(docs.read("proxy-stone/services/web/a-1", bytes(doc), 0)).isEqualTo(new ImportedDocuments.Unusable(
        "the key names service 'web' but the value 'api'"));
  }

  @Test
  void whatCairnExportedIsNeverBroughtBack() {
    JsonObject exported = new JsonObject().put("id", "ps-1").put("name", "x").put("host", "h").put("port", 1)
        .put("term", 4).put("bridge", "to-etcd");
    assertThat(documents("proxy-stone").read("proxy-stone/services/ps-1", bytes(exported), 10))
        .isInstanceOf(ImportedDocuments.Exported.class);
  }

  @Test
  void unusableValuesSayWhy() {
    ImportedDocuments docs = documents("proxy-stone");
    assertThat(docs.read("proxy-stone/services/x", bytes("not json"), 0))
        .isEqualTo(new ImportedDocuments.Unusable("the value is not a JSON object"));
    assertThat(docs.read("proxy-stone/services/x/y", bytes("{}"), 0))
        .isEqualTo(new ImportedDocuments.Unusable("not a key of the form proxy-stone/services/{id}"));
    assertThat(docs.read("proxy-stone/services/x", bytes(new JsonObject().put("id", "y")), 0))
        .isEqualTo(new ImportedDocuments.Unusable("the key names id 'x' but the value 'y'"));
    assertThat(docs.read("proxy-stone/services/x", bytes(new JsonObject().put("tags", "a").put("status", 3)), 0))
        .isInstanceOf(ImportedDocuments.Instance.class);
  }
}
