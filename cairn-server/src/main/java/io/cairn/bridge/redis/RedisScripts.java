package io.cairn.bridge.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

import java.util.List;

/**
 * The two Lua scripts the Redis bridge runs, and the calls that run them. Everything the bridge writes goes through
 * a script, because a script runs whole, alone, and can check the fence first: a bridge whose term was overtaken
 * writes nothing (no hash field, no published event), and its events and hashes change together, in one order.
 *
 * <p>Key layout under the bridge's {@code keyPrefix}: {@code {keyPrefix}:term} (the fence: the Raft term of the
 * bridge that writes), {@code {keyPrefix}:services} (a set: the names that have instances) and
 * {@code {keyPrefix}:service:{name}} (a hash: instance id → the instance's JSON). Every key a script touches is
 * passed in {@code KEYS}, as Redis asks of scripts.
 */
final class RedisScripts {

  /**
   * Takes the fence. KEYS[1] the fence key; ARGV[1] this bridge's term. An absent, unreadable or older term is
   * replaced with this one; an equal one is this bridge's own (a reconnect in the same term); a newer one is left.
   * Answers the term that holds the fence now, which the caller compares with its own.
   */
  static final String FENCE = """
      local held = tonumber(redis.call('GET', KEYS[1]))
      if held == nil or held < tonumber(ARGV[1]) then
        redis.call('SET', KEYS[1], ARGV[1])
        return ARGV[1]
      end
      return redis.call('GET', KEYS[1])
      """;

  /**
   * Runs a list of {@link HashPlan.Op}s, unless the fence holds another term. KEYS[1] the fence, KEYS[2] the set of
   * names, then one service hash per op that names one (S, D, X), in the ops' order. ARGV[1] this bridge's term,
   * ARGV[2] the channel, then four per op: kind, name, id, value. P publishes the value on the channel; S sets the
   * id's field to the value and lists the name; D deletes the id's field and unlists the name when its hash is gone
   * (Redis deletes an empty hash); X deletes the whole hash and unlists the name. Answers the term that held the
   * fence (empty when none did): when it is not ARGV[1], nothing was written.
   */
  static final String WRITE = """
      local held = redis.call('GET', KEYS[1])
      if held ~= ARGV[1] then
        return held or ''
      end
      local k = 3
      for i = 3, #ARGV, 4 do
        local kind, name, id, value = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
        if kind == 'P' then
          redis.call('PUBLISH', ARGV[2], value)
        else
          local key = KEYS[k]
          k = k + 1
          if kind == 'S' then
            redis.call('HSET', key, id, value)
            redis.call('SADD', KEYS[2], name)
          elseif kind == 'D' then
            redis.call('HDEL', key, id)
            if redis.call('EXISTS', key) == 0 then
              redis.call('SREM', KEYS[2], name)
            end
          else
            redis.call('DEL', key)
            redis.call('SREM', KEYS[2], name)
          end
        end
      end
      return ARGV[1]
      """;

  private final Keys keys;
  private final String channel;

  RedisScripts(Keys keys, String channel) {
    this.keys = keys;
    this.channel = channel;
  }

  /** The keys of one bridge, from its prefix. */
  record Keys(String prefix) {
    String term() {
      return prefix + ":term";
    }

    String names() {
      return prefix + ":services";
    }

    String service(String name) {
      return prefix + ":service:" + name;
    }
  }

  Request fence(long term) {
    return Request.cmd(Command.EVAL).arg(FENCE).arg(1).arg(keys.term()).arg(term);
  }

  static Request load(String script) {
    return Request.cmd(Command.SCRIPT).arg("LOAD").arg(script);
  }

  /** One call of {@link #WRITE} (loaded as {@code sha}) with these ops. */
  Request write(String sha, long term, List<HashPlan.Op> ops) {
    List<HashPlan.Op> keyed = ops.stream().filter(op -> op.kind() != HashPlan.Kind.PUBLISH).toList();
    Request r = Request.cmd(Command.EVALSHA).arg(sha).arg(2 + keyed.size()).arg(keys.term()).arg(keys.names());
    keyed.forEach(op -> r.arg(keys.service(op.name())));
    r.arg(term).arg(channel);
    for (HashPlan.Op op : ops) {
      r.arg(op.kind().code()).arg(op.name()).arg(op.id()).arg(op.value());
    }
    return r;
  }
}
