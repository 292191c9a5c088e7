/**
 * INFO's fields (SPEC.md section 11), in Redis's sections and names, so redis-cli, client
 * libraries' ready checks (`loading:0`) and exporters made for Redis read them. Each shard
 * counts its own keys, expirations, hits and misses and reports them when asked (the stats
 * command), so nothing is counted per command on the main thread beyond an increment.
 */
import os from 'node:os';
import type { Config } from '../config/options.js';
import type { PersistenceFacts } from '../persistence/snapshot-service.js';
import type { InfoSections } from '../protocol/resp-server-replies.js';
import { servedRedisVersion } from '../protocol/resp-server-replies.js';

/** What one shard reported (CommandCode.stats). */
export interface ShardStats {
  keys: number;
  volatileKeys: number;
  expiredKeys: number;
  hits: number;
  misses: number;
  largestReplyBytes: number;
  heapBytes: number;
  /** Keys evicted for memory (--eviction-policy). */
  evictedKeys: number;
  /** Key and value bytes plus an estimated overhead per key (eviction's measure). */
  dataBytes: number;
  /** The mean time left to its keys with an expiry, in ms (0 when none). */
  averageTtlMs: number;
  batches: number;
}

export interface ServerFacts {
  config: Config;
  port: number;
  startedAtMs: number;
  connectedClients: number;
  connectionsReceived: number;
  rejectedConnections: number;
  commandsProcessed: number;
  opsPerSecond: number;
  shards: ShardStats[];
  /** With --snapshot-file (src/persistence/). */
  persistence?: PersistenceFacts;
}

const hausVersion = '0.2.0';

export function infoSections(facts: ServerFacts): InfoSections {
  const memory = process.memoryUsage();
  const uptimeSeconds = Math.floor((Date.now() - facts.startedAtMs) / 1000);
  const sum = (pick: (stats: ShardStats) => number) =>
    facts.shards.reduce((total, stats) => total + pick(stats), 0);
  const keys = sum((stats) => stats.keys);
  const keyspace: Array<[string, string]> = [];
  // db0 is absent while the keyspace is empty, as in Redis.
  if (keys > 0) {
    const expires = sum((stats) => stats.volatileKeys);
    // Each shard's mean, weighted by its keys with an expiry: the mean over all of them.
    const ttlSum = sum((stats) => stats.averageTtlMs * stats.volatileKeys);
    const averageTtlMs = expires === 0 ? 0 : Math.round(ttlSum / expires);
    keyspace.push(['db0', `keys=${keys},expires=${expires},avg_ttl=${averageTtlMs}`]);
  }
  return [
    [
      'Server',
      [
        ['redis_version', servedRedisVersion],
        ['haus_version', hausVersion],
        ['redis_mode', 'standalone'],
        ['os', `${os.type()} ${os.release()} ${os.arch()}`],
        ['arch_bits', 64],
        ['process_id', process.pid],
        ['node_version', process.version],
        ['tcp_port', facts.port],
        ['uptime_in_seconds', uptimeSeconds],
        ['uptime_in_days', Math.floor(uptimeSeconds / 86400)],
        ['shards', facts.shards.length],
      ],
    ],
    [
      'Clients',
      [
        ['connected_clients', facts.connectedClients],
        ['maxclients', facts.config.clientsMax],
        ['blocked_clients', 0],
      ],
    ],
    [
      'Memory',
      [
        ['used_memory', memory.rss],
        ['used_memory_human', `${(memory.rss / 1024 / 1024).toFixed(2)}M`],
        ['used_memory_rss', memory.rss],
        ['used_memory_peak', memory.rss],
        ['maxmemory', facts.config.dataMemoryBytesMax],
        ['used_memory_dataset', sum((stats) => stats.dataBytes)],
        ['maxmemory_policy', facts.config.evictionPolicy],
      ],
    ],
    ['Persistence', persistenceFields(facts)],
    [
      'Stats',
      [
        ['total_connections_received', facts.connectionsReceived],
        ['total_commands_processed', facts.commandsProcessed],
        ['instantaneous_ops_per_sec', facts.opsPerSecond],
        ['rejected_connections', facts.rejectedConnections],
        ['expired_keys', sum((stats) => stats.expiredKeys)],
        ['evicted_keys', sum((stats) => stats.evictedKeys)],
        ['keyspace_hits', sum((stats) => stats.hits)],
        ['keyspace_misses', sum((stats) => stats.misses)],
      ],
    ],
    [
      'Replication',
      [
        ['role', 'master'],
        ['connected_slaves', 0],
      ],
    ],
    ['Keyspace', keyspace],
    [
      'Shards',
      facts.shards.map((stats, index): [string, string] => [
        `shard${index}`,
        `keys=${stats.keys},expires=${stats.volatileKeys},batches=${stats.batches},` +
          `heap_bytes=${stats.heapBytes},data_bytes=${stats.dataBytes},` +
          `expired_keys=${stats.expiredKeys},evicted_keys=${stats.evictedKeys}`,
      ]),
    ],
  ];
}

/** Redis's Persistence fields; without --snapshot-file, as a Redis that never saved. Haus
 * loads before it listens, so a client never sees loading:1. */
function persistenceFields(facts: ServerFacts): Array<[string, string | number]> {
  const p = facts.persistence;
  return [
    ['loading', 0],
    ['rdb_changes_since_last_save', p?.changesSinceLastSave ?? 0],
    ['rdb_bgsave_in_progress', p?.bgsaveInProgress === true ? 1 : 0],
    ['rdb_last_save_time', p?.lastSaveTimeS ?? Math.floor(facts.startedAtMs / 1000)],
    ['rdb_last_bgsave_status', p?.lastBgsaveStatus ?? 'ok'],
    ['rdb_last_bgsave_time_sec', p?.lastBgsaveTimeS ?? -1],
    ['rdb_current_bgsave_time_sec', p?.currentBgsaveTimeS ?? -1],
    ['rdb_saves', p?.saves ?? 0],
    // Redis's fork copies what is written during a save; Haus holds serialized bytes instead.
    ['rdb_last_cow_size', p?.lastBufferedBytes ?? 0],
    ['rdb_last_load_keys_loaded', p?.keysLoaded ?? 0],
    ['rdb_last_load_keys_expired', p?.keysExpiredAtLoad ?? 0],
    ['aof_enabled', 0],
  ];
}
