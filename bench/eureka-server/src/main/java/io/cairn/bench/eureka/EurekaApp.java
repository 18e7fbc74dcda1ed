package io.cairn.bench.eureka;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cloud.netflix.eureka.server.EnableEurekaServer;

/**
 * A standalone Eureka server for bench/peers.sh: everything is configuration (application.properties, and the port on
 * the command line).
 */
@SpringBootApplication
@EnableEurekaServer
public class EurekaApp {
  public static void main(String[] args) {
    SpringApplication.run(EurekaApp.class, args);
  }
}
