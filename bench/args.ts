/**
 * The bench's flags: parsed with node:util parseArgs, checked, and frozen into BenchArgs.
 * A bad value stops the bench before anything starts, with a message naming the flag, the
 * value and what is accepted. Defaults are the headline configuration.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { keyspaceError } from './keyspace.js';
import { defaultClientThreads } from './load-generator.js';
import { LOADGEN_KEY_BYTES } from './loadgen/loadgen-args.js';
import type { ProtocolName } from './protocols/codec.js';
import { DEFAULT_SERVER_KINDS, SERVER_KINDS, type ServerKind } from './servers.js';

export interface BenchArgs {
  help: boolean;
  /**
   * Suite to run: quick (default), full, single (one configuration from the flags), or
   * redis-benchmark (only the redis-benchmark side by side, which full also runs), or cluster
   * (redis-benchmark through twemproxy: bench/cluster/), or snapshot (bench/snapshot/), or
   * eviction (bench/eviction/).
   */
  suite: 'quick' | 'full' | 'single' | 'redis-benchmark' | 'cluster' | 'snapshot' | 'eviction';
  /** The server kinds the load generator drives, in report order. */
  servers: readonly ServerKind[];
  /** An already running server to drive instead of starting one (single suite only). */
  connect: {
    host: string;
    port: number;
    protocol: ProtocolName;
    pid: number | null;
    /** --password, else HAUS_PASSWORD: sent with AUTH on every connection. */
    password: string | null;
  } | null;
  connections: number;
  pipeline: number;
  threads: number;
  durationS: number;
  /** Ops per run instead of a duration; null = use durationS. */
  requests: number | null;
  warmupS: number;
  keys: number;
  keyBytes: number;
  valueBytes: number;
  getRatio: number;
  txWrites: number;
  shards: number;
  runs: number;
  /**
   * The C load generator's binary (`--loadgen PATH`, else $HAUS_LOADGEN): when set, the
   * suites' rows are driven by it instead of the bench's Node client. Null: the Node client.
   */
  loadgen: string | null;
  /** `--compare-clients`: loadgen and the Node client alternate on every row (needs loadgen). */
  compareClients: boolean;
  /** redis-benchmark's `-n` for each of its runs (one per server and pipeline depth). */
  redisBenchmarkRequests: number;
  outDir: string;
  charts: boolean;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  full: { type: 'boolean' },
  single: { type: 'boolean' },
  'redis-benchmark': { type: 'boolean' },
  cluster: { type: 'boolean' },
  snapshot: { type: 'boolean' },
  eviction: { type: 'boolean' },
  'redis-benchmark-requests': { type: 'string' },
  loadgen: { type: 'string' },
  'node-client': { type: 'boolean' },
  'compare-clients': { type: 'boolean' },
  server: { type: 'string' },
  connect: { type: 'string' },
  protocol: { type: 'string' },
  'server-pid': { type: 'string' },
  password: { type: 'string' },
  connections: { type: 'string', short: 'c' },
  pipeline: { type: 'string', short: 'P' },
  threads: { type: 'string', short: 't' },
  duration: { type: 'string', short: 'd' },
  requests: { type: 'string', short: 'n' },
  warmup: { type: 'string' },
  keys: { type: 'string' },
  'key-bytes': { type: 'string' },
  'value-bytes': { type: 'string' },
  'get-ratio': { type: 'string' },
  tx: { type: 'string' },
  shards: { type: 'string' },
  runs: { type: 'string' },
  out: { type: 'string' },
  'no-charts': { type: 'boolean' },
} as const;

const cores = availableParallelism();
/**
 * redis-benchmark requests per test and run: redis-benchmark's own default, so the numbers read
 * like anyone's default run. The side by side (4 runs of 4 tests, 4 server starts) then takes
 * 20 to 40 s on 2 shared cores, most of it Haus's MSET.
 */
const REDIS_BENCHMARK_REQUESTS = 100_000;

export const HELP = `Haus KV load generator: drives Haus and Redis with the same client, compares them.

Usage: npm run bench [-- flags]        (or: node dist/bench/run.js [flags])

Suites
  (default)              quick suite against Haus (line protocol), Haus over RESP and Redis,
                         servers in turn: P=1 and P=16 (9:1), P=1 1:1, transactions of 4
                         PUTs interactive (P=1) and pipelined (P=6), and 1 connection
                         doing GETs for latency (~2 min)
  --full                 also shard scaling, value sizes, 1M keys, 1000 connections,
                         memory/key, and the redis-benchmark side by side
  --single               one configuration made of the load flags below
  --redis-benchmark      only redis-benchmark -t set,get,incr,mset at -P 1 and -P 16, 50
                         connections, against Haus (RESP) and Redis in turn (< 1 min)
  --cluster              redis-benchmark -t set,get through twemproxy (nutcracker) to 1 and
                         3 Haus servers, beside Haus direct and 3 Redis (< 1 min)
  --snapshot             snapshots of 1M keys against Redis's BGSAVE: time, memory, load,
                         and -P 16 throughput while snapshots run (~2 min)
  --eviction             hit ratios of every eviction policy (Zipf 0.99, 1M keys, memory for
                         10 %), memory per key with and without expiry, and a P=16 load while
                         1M keys expire, against Redis (~15 min; bench/eviction/)
  --redis-benchmark-requests N
                         redis-benchmark -n for each of those runs (default ${REDIS_BENCHMARK_REQUESTS})
  --runs N               run each configuration N times, report the median (default 1;
                         use 3 to check the targets)

Client
  --loadgen PATH         drive the rows with the C load generator at PATH (build it:
                         cc -O2 -o /tmp/lg ../shared/loadgen/loadgen.c -lpthread); also
                         taken from $HAUS_LOADGEN when that names an executable file
  --node-client          use the bench's Node client even when $HAUS_LOADGEN is set
  --compare-clients      loadgen and the Node client alternate on every row, and the report
                         adds their Haus/Redis ratios side by side (needs a loadgen)

Servers
  --server S             haus | haus-resp | node-floor | node-floor-sharded | redis, or a
                         comma-separated list of them, or both (haus,redis), all
                         (haus,haus-resp,redis: the default) or all+floor (all five; Redis
                         is skipped if redis-server is not on PATH). The floors are opt-in:
                         node-floor is bench/floor/floor-server.ts, the least a Node server
                         can do for the line protocol (one thread, one Map);
                         node-floor-sharded is bench/floor/sharded-floor-server.ts, the
                         least a server of Haus's design can do (a main thread and --shards
                         shard threads, a batch per shard per turn, no checks)
  --shards N             Haus shards, and the sharded floor's (default ${cores}, the core count)
  --connect HOST:PORT    --single only: drive a server that is already running
  --protocol P           with --connect: haus | resp (default haus)
  --server-pid PID       with --connect: read that process's CPU for the CPU/op column
  --password PW          with --connect: AUTH with it first (default: $HAUS_PASSWORD)

Load (--single uses them all; the suites use their own shapes and take only -d, -n,
--warmup, -t, --key-bytes from here)
  -c, --connections N    connections (default 50)
  -P, --pipeline N       commands in flight per connection (default 1); with --tx K, 1 is
                         the interactive transaction, K+2 the whole transaction in flight
  -t, --threads N        client threads (default ${defaultClientThreads()}, half the cores)
  -d, --duration S       measured seconds per run (default 5)
  -n, --requests N       single ops (or transactions, with --tx) per run instead of -d
  --warmup S             seconds of load before measuring (default 1)
  --keys N               keyspace size, pre-populated before measuring (default 100000)
  --key-bytes N          key length (default 16)
  --value-bytes N        value length (default 32)
  --get-ratio R          share of GETs among single ops, 0..1 (default 0.9)
  --tx K                 transactions: START, K PUTs, COMMIT (Redis: MULTI, K SETs, EXEC),
                         each command one op; default 0 = single GETs and PUTs

Output
  --out DIR              where latest.json and the SVG charts go (default bench/results;
                         --redis-benchmark: bench/results/redis-benchmark)
  --no-charts            skip the SVG charts
  -h, --help             this text
`;

/** Where results go without --out: redis-benchmark's own folder for its suite, so running it
 * does not replace the quick suite's latest.json and latest.md. */
function defaultOutDir(suite: BenchArgs['suite']): string {
  const folder =
    suite === 'redis-benchmark' ? '../../bench/results/redis-benchmark/' : '../../bench/results/';
  return fileURLToPath(new URL(folder, import.meta.url));
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  const int = (flag: string, text: string | undefined, fallback: number, min: number) =>
    parseNumber(flag, text, fallback, { min, integer: true });
  const args: BenchArgs = {
    help: values.help === true,
    suite: parseSuite(values),
    servers: parseServers(values.server),
    connect: parseConnect(
      values.connect,
      values.protocol,
      values['server-pid'],
      values.password ?? process.env.HAUS_PASSWORD,
    ),
    connections: int('--connections', values.connections, 50, 1),
    pipeline: int('--pipeline', values.pipeline, 1, 1),
    threads: int('--threads', values.threads, defaultClientThreads(), 1),
    durationS: parseNumber('--duration', values.duration, 5, { min: 0.1, integer: false }),
    requests: values.requests === undefined ? null : int('--requests', values.requests, 0, 1),
    warmupS: parseNumber('--warmup', values.warmup, 1, { min: 0, integer: false }),
    keys: int('--keys', values.keys, 100_000, 1),
    keyBytes: int('--key-bytes', values['key-bytes'], 16, 2),
    valueBytes: int('--value-bytes', values['value-bytes'], 32, 2),
    getRatio: parseNumber('--get-ratio', values['get-ratio'], 0.9, { min: 0, integer: false }),
    txWrites: int('--tx', values.tx, 0, 0),
    shards: int('--shards', values.shards, cores, 1),
    runs: int('--runs', values.runs, 1, 1),
    loadgen: parseLoadgen(values.loadgen, values['node-client'] === true),
    compareClients: values['compare-clients'] === true,
    redisBenchmarkRequests: int(
      '--redis-benchmark-requests',
      values['redis-benchmark-requests'],
      REDIS_BENCHMARK_REQUESTS,
      1,
    ),
    outDir: values.out ?? defaultOutDir(parseSuite(values)),
    charts: values['no-charts'] !== true,
  };
  if (args.getRatio > 1) fail('--get-ratio', String(args.getRatio), 'a number from 0 to 1');
  if (args.connect !== null && args.suite !== 'single') {
    throw new Error('--connect drives one configuration: add --single');
  }
  if (args.loadgen !== null) checkLoadgenFits(args);
  else if (args.compareClients) {
    throw new Error('--compare-clients needs a loadgen: --loadgen PATH or $HAUS_LOADGEN');
  }
  const shapeError = keyspaceError(args);
  if (shapeError !== null) throw new Error(shapeError);
  return Object.freeze(args);
}

function parseSuite(values: {
  single?: boolean;
  full?: boolean;
  'redis-benchmark'?: boolean;
  cluster?: boolean;
  snapshot?: boolean;
  eviction?: boolean;
}): BenchArgs['suite'] {
  if (values.single === true) {
    if (values.full === true || values['redis-benchmark'] === true) {
      throw new Error('--single runs one configuration: drop --full and --redis-benchmark');
    }
    return 'single';
  }
  if (values.full === true) return 'full';
  if (values.cluster === true) return 'cluster';
  if (values.snapshot === true) return 'snapshot';
  if (values.eviction === true) return 'eviction';
  return values['redis-benchmark'] === true ? 'redis-benchmark' : 'quick';
}

/**
 * `all` (haus, haus-resp, redis), `all+floor` (and both floors, node-floor and
 * node-floor-sharded, which are opt-in), `both` (the two kinds before Haus spoke RESP), or a
 * list such as `haus,node-floor,redis`.
 */
export function parseServers(text: string | undefined): readonly ServerKind[] {
  if (text === undefined || text === 'all') return DEFAULT_SERVER_KINDS;
  if (text === 'all+floor') return SERVER_KINDS;
  if (text === 'both') return ['haus', 'redis'];
  const named = text.split(',').map((word) => word.trim());
  const unknown = named.filter((word) => !(SERVER_KINDS as readonly string[]).includes(word));
  if (named.length === 0 || unknown.length > 0) {
    fail(
      '--server',
      text,
      `${SERVER_KINDS.join(' | ')}, a comma-separated list, both, all or all+floor`,
    );
  }
  return SERVER_KINDS.filter((kind) => named.includes(kind));
}

function parseNumber(
  flag: string,
  text: string | undefined,
  fallback: number,
  rule: { min: number; integer: boolean },
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  const kind = rule.integer ? 'an integer' : 'a number';
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    (rule.integer && !Number.isInteger(value)) ||
    value < rule.min
  ) {
    fail(flag, text, `${kind} >= ${rule.min}`);
  }
  return value;
}

function parseChoice<T extends string>(
  flag: string,
  text: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) fail(flag, text, choices.join(' | '));
  return text as T;
}

function parseConnect(
  address: string | undefined,
  protocol: string | undefined,
  pid: string | undefined,
  password: string | undefined,
): BenchArgs['connect'] {
  if (address === undefined) {
    if (protocol !== undefined || pid !== undefined) {
      throw new Error('--protocol and --server-pid only apply with --connect HOST:PORT');
    }
    return null;
  }
  const match = /^(.+):(\d+)$/.exec(address);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || port < 1 || port > 65535) {
    fail('--connect', address, 'HOST:PORT, e.g. 127.0.0.1:9888');
  }
  return {
    host: match?.[1] ?? '',
    port,
    protocol: parseChoice('--protocol', protocol, ['haus', 'resp'], 'haus'),
    pid: pid === undefined ? null : parseNumber('--server-pid', pid, 0, { min: 1, integer: true }),
    password: password === undefined || password === '' ? null : password,
  };
}

/**
 * `--loadgen PATH` must name an executable file; $HAUS_LOADGEN is used only when it does, so a
 * stale variable falls back to the Node client rather than failing every bench run.
 */
function parseLoadgen(flag: string | undefined, nodeClient: boolean): string | null {
  if (flag !== undefined) {
    if (nodeClient) throw new Error('--loadgen and --node-client: choose one client');
    if (!isExecutableFile(flag)) fail('--loadgen', flag, 'the path of an executable file');
    return flag;
  }
  const fromEnv = process.env.HAUS_LOADGEN;
  if (nodeClient || fromEnv === undefined || fromEnv === '') return null;
  return isExecutableFile(fromEnv) ? fromEnv : null;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What loadgen cannot do: other key lengths, other hosts, AUTH. */
function checkLoadgenFits(args: BenchArgs): void {
  if (args.keyBytes !== LOADGEN_KEY_BYTES) {
    throw new Error(`--key-bytes ${args.keyBytes}: loadgen's keys are always 16 bytes`);
  }
  const connect = args.connect;
  if (connect !== null && connect.host !== '127.0.0.1' && connect.host !== 'localhost') {
    throw new Error(`--connect ${connect.host}: loadgen connects to 127.0.0.1 only`);
  }
  if (connect?.password != null) throw new Error('loadgen cannot AUTH: add --node-client');
}

function fail(flag: string, value: string, accepted: string): never {
  throw new Error(`${flag} ${JSON.stringify(value)} is not valid: expected ${accepted}`);
}
