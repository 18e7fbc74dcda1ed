package io.cairn.config;

/**
 * The {@code consul} section: the Consul-compatible HTTP API.
 *
 * @param datacenter the datacenter name that API gives and accepts
 */
public record ConsulSettings(String datacenter) {

  public ConsulSettings {
    if (datacenter.isEmpty()) {
      throw new IllegalArgumentException("consul.datacenter must not be empty");
    }
  }

  static ConsulSettings from(ConfigReader r) {
    return new ConsulSettings(r.string("datacenter"));
  }
}
