package io.cairn.bench.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Spring Cloud Gateway for bench/proxy.sh: everything is configuration (application.properties, and the upstream
 * URIs and the port on the command line).
 */
@SpringBootApplication
public class GatewayApp {
  public static void main(String[] args) {
    SpringApplication.run(GatewayApp.class, args);
  }
}
