/**
 * The Prometheus metrics (SPEC.md section 11), built with prom-client from figures the server
 * already keeps: INFO's (net/info-sections.ts), the shards' own counters, the command counts
 * and the reply meter. Nothing here runs per command: every metric is filled by a collect()
 * callback when /metrics is scraped, from the snapshot of that scrape.
 *
 * Names follow Prometheus's conventions (`haus_` prefix, base units, `_total` on counters);
 * every label has a fixed, small set of values: protocol (line, resp), command (the two
 * command tables), error kind (error-kinds.ts), shard (0 to --shards - 1). prom-client's
 * default process and Node.js metrics (`process_*`, `nodejs_*`) come along: the process's
 * resident memory, CPU and event-loop delay.
 */
import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import type { Config } from '../config/options.js';
import type { ServerFacts, ShardStats } from '../net/info-sections.js';
import { type CommandCounts, lineCommandKinds, respCommandNames } from './command-counts.js';
import { errorKinds } from './error-kinds.js';
import { latencyBucketBoundsSeconds } from './latency-histogram.js';
import { meteredProtocols, type ReplyMeter } from './reply-meter.js';

/** Transactions by protocol: the line protocol's COMMIT, RESP's EXEC. */
export interface TransactionCounts {
  applied: { line: number; resp: number };
  conflicts: { line: number; resp: number };
}

/** What one scrape reads: taken once, just before the registry formats it. */
export interface MetricsSnapshot {
  facts: ServerFacts;
  /** False when the shards did not answer in time: the per-shard metrics are left out. */
  shardsAnswered: boolean;
  transactions: TransactionCounts;
}

const misnamedDefaultMetrics = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

type Labels = Record<string, string>;
type Sample = readonly [Labels, number];

const byCommand = ['protocol', 'command'];
const byKind = ['protocol', 'kind'];
const byProtocol = ['protocol'];
const byShard = ['shard'];

export class MetricsRegistry {
  readonly registry = new Registry();
  private snapshot: MetricsSnapshot | null = null;

  constructor(options: { config: Config; commands: CommandCounts; replies: ReplyMeter }) {
    const { config, commands, replies } = options;
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
    // Gauges named like counters, which `promtool check metrics` rejects; the same figures
    // stay by type in nodejs_active_handles, nodejs_active_requests, nodejs_active_resources.
    for (const name of misnamedDefaultMetrics) registry.removeSingleMetric(name);
    this.counter(
      'haus_commands_total',
      'Commands received, by protocol and name.',
      byCommand,
      () => [
        ...respCommandNames.map(
          (command, index): Sample => [
            { protocol: 'resp', command },
            commands.resp[index] as number,
          ],
        ),
        ...lineCommandKinds.map(
          (kind): Sample => [
            { protocol: 'line', command: kind.toLowerCase() },
            commands.line[kind],
          ],
        ),
      ],
    );
    this.counter('haus_errors_total', 'Error replies, by protocol and kind.', byKind, () =>
      meteredProtocols.flatMap((protocol, p) =>
        errorKinds.map(
          (kind, k): Sample => [
            { protocol, kind },
            replies.errors[p * errorKinds.length + k] as number,
          ],
        ),
      ),
    );
    registry.registerMetric(latencyMetric(replies));
    this.gauge('haus_connected_clients', 'Clients connected now.', [], (s) => [
      [{}, s.facts.connectedClients],
    ]);
    this.counter('haus_connections_received_total', 'Connections accepted, ever.', [], (s) => [
      [{}, s.facts.connectionsReceived],
    ]);
    this.counter(
      'haus_rejected_connections_total',
      'Connections refused at --max-clients.',
      [],
      (s) => [[{}, s.facts.rejectedConnections]],
    );
    this.gauge(
      'haus_memory_limit_bytes',
      'Memory the process may reach (--max-memory).',
      [],
      () => [[{}, config.dataMemoryBytesMax]],
    );
    this.counter('haus_commits_total', 'Transactions applied: COMMIT, EXEC.', byProtocol, (s) => [
      [{ protocol: 'line' }, s.transactions.applied.line],
      [{ protocol: 'resp' }, s.transactions.applied.resp],
    ]);
    this.counter(
      'haus_commit_conflicts_total',
      'Transactions not applied because a key they read or watched changed: START ' +
        'SERIALIZABLE COMMIT, EXEC after WATCH.',
      byProtocol,
      (s) => [
        [{ protocol: 'line' }, s.transactions.conflicts.line],
        [{ protocol: 'resp' }, s.transactions.conflicts.resp],
      ],
    );
    this.shardGauge('haus_keys', 'Keys stored, by shard.', (stats) => stats.keys);
    this.shardGauge(
      'haus_keys_with_ttl',
      'Keys with a time to live, by shard.',
      (stats) => stats.volatileKeys,
    );
    this.shardGauge(
      'haus_shard_data_bytes',
      'Key and value bytes stored plus an estimated overhead per key, by shard (what ' +
        '--max-memory eviction measures).',
      (stats) => stats.dataBytes,
    );
    this.shardGauge(
      'haus_shard_heap_used_bytes',
      "Bytes used on the shard thread's V8 heap.",
      (stats) => stats.heapBytes,
    );
    this.shardCounter(
      'haus_expired_keys_total',
      'Keys removed because their time to live ran out, by shard.',
      (stats) => stats.expiredKeys,
    );
    this.shardCounter(
      'haus_evicted_keys_total',
      'Keys evicted to stay under --max-memory (--eviction-policy), by shard.',
      (stats) => stats.evictedKeys,
    );
    this.shardCounter(
      'haus_keyspace_hits_total',
      'Reads that found their key, by shard.',
      (stats) => stats.hits,
    );
    this.shardCounter(
      'haus_keyspace_misses_total',
      'Reads that did not find their key, by shard.',
      (stats) => stats.misses,
    );
    this.shardCounter(
      'haus_shard_batches_total',
      'Batches of commands sent to the shard.',
      (stats) => stats.batches,
    );
  }

  /** The metrics as Prometheus text, from `snapshot`. */
  text(snapshot: MetricsSnapshot): Promise<string> {
    // Every collect() runs synchronously inside metrics(), before its first await.
    this.snapshot = snapshot;
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private current(): MetricsSnapshot {
    if (this.snapshot === null) throw new Error('metrics collected outside a scrape');
    return this.snapshot;
  }

  private counter(
    name: string,
    help: string,
    labelNames: readonly string[],
    samples: (s: MetricsSnapshot) => Sample[],
  ): void {
    const registry = this;
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of samples(registry.current())) this.inc(labels, value);
      },
    });
  }

  private gauge(
    name: string,
    help: string,
    labelNames: readonly string[],
    samples: (s: MetricsSnapshot) => Sample[],
  ): void {
    const registry = this;
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of samples(registry.current())) this.set(labels, value);
      },
    });
  }

  private shardGauge(name: string, help: string, pick: (stats: ShardStats) => number): void {
    this.gauge(name, help, byShard, (s) => shardSamples(s, pick));
  }

  private shardCounter(name: string, help: string, pick: (stats: ShardStats) => number): void {
    this.counter(name, help, byShard, (s) => shardSamples(s, pick));
  }
}

function shardSamples(snapshot: MetricsSnapshot, pick: (stats: ShardStats) => number): Sample[] {
  if (!snapshot.shardsAnswered) return [];
  return snapshot.facts.shards.map((stats, shard) => [{ shard: String(shard) }, pick(stats)]);
}

/**
 * `haus_command_duration_seconds{protocol}`: the reply meter's histograms as Prometheus's
 * cumulative buckets. prom-client's Histogram takes one observe() per observation, which is
 * what the meter exists to avoid, so this is a metric of our own: prom-client's registry
 * formats any object with a name, help, type and get() (its types list only its own classes,
 * hence the cast).
 */
function latencyMetric(replies: ReplyMeter): Metric {
  const name = 'haus_command_duration_seconds';
  const help = 'Time from a command parsed to its reply ready to write, by protocol.';
  const values = () =>
    meteredProtocols.flatMap((protocol, p) => {
      const histogram = replies.latency[p];
      if (histogram === undefined) return [];
      const samples: Array<{ metricName: string; labels: Labels; value: number }> = [];
      let cumulative = 0;
      histogram.counts.forEach((count, bucket) => {
        cumulative += count;
        const bound = latencyBucketBoundsSeconds[bucket];
        const le = bound === undefined ? '+Inf' : String(bound);
        samples.push({ metricName: `${name}_bucket`, labels: { protocol, le }, value: cumulative });
      });
      samples.push({
        metricName: `${name}_sum`,
        labels: { protocol },
        value: histogram.sumMs / 1000,
      });
      samples.push({ metricName: `${name}_count`, labels: { protocol }, value: cumulative });
      return samples;
    });
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: values() }),
    reset: () => {},
  };
  return metric as unknown as Metric;
}
