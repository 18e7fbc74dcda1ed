package io.cairn.it.spring;

import java.util.List;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Registers itself through Spring Cloud Consul (its own HTTP check on /actuator/health) and answers, at
 * {@code GET /peers?name=X}, what its {@link DiscoveryClient} finds under the name X.
 */
@SpringBootApplication
@RestController
public class ConsulApp {
  private final DiscoveryClient discovery;

  public ConsulApp(DiscoveryClient discovery) {
    this.discovery = discovery;
  }

  public static void main(String[] args) {
    SpringApplication.run(ConsulApp.class, args);
  }

  @GetMapping("/peers")
  public List<Map<String, Object>> peers(@RequestParam String name) {
    return discovery.getInstances(name).stream().map(ConsulApp::view).toList();
  }

  @GetMapping("/services")
  public List<String> services() {
    return discovery.getServices();
  }

  private static Map<String, Object> view(ServiceInstance i) {
    return Map.of("instanceId", String.valueOf(i.getInstanceId()), "serviceId", i.getServiceId(),
        "host", i.getHost(), "port", i.getPort(), "metadata", i.getMetadata());
  }
}
