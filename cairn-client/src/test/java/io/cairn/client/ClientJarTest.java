package io.cairn.client;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a program gets when it adds only cairn-client (this module's test class path is exactly that): the client,
 * the service-discovery importer and exporter and the event-bus proxy, and nothing of the server, nor the agent and
 * the proxy's engine (cairn-agent and cairn-gateway bring those).
 */
class ClientJarTest {

  @Test
  void theClientJarBringsTheClientAndNotTheServer() throws Exception {
    for (String present : new String[] {"io.cairn.client.CairnClient",
        "io.cairn.client.RegistryService", "io.cairn.client.RegistryServiceVertxEBProxy",
        "io.cairn.client.discovery.CairnServiceImporter", "io.cairn.client.discovery.CairnServiceExporter",
        "io.cairn.grpc.v1.Instance", "io.vertx.servicediscovery.ServiceDiscovery"}) {
      assertThat(Class.forName(present)).as(present).isNotNull();
    }
    for (String absent : new String[] {"io.cairn.CairnNode", "io.cairn.replication.ReplicationVerticle",
        "org.apache.ratis.server.RaftServer", "com.hazelcast.core.HazelcastInstance",
        "io.vertx.spi.cluster.hazelcast.HazelcastClusterManager", "org.casbin.jcasbin.main.Enforcer",
        "io.vertx.ext.web.Router", "io.cairn.agent.CairnAgent", "io.cairn.gateway.Gateway"}) {
      assertThatThrownBy(() -> Class.forName(absent)).as(absent).isInstanceOf(ClassNotFoundException.class);
    }
  }
}
