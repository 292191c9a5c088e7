/**
 * The servers under test, started and stopped by the bench itself: Haus from this checkout's
 * build (`dist/src/cli.js`) and Redis from `redis-server` on PATH, each on a free loopback
 * port, so a bench run needs no setup and leaves nothing running. Haus is one server with two
 * front doors, so it is two kinds here: `haus` spoken to in its line protocol, `haus-resp` the
 * same build spoken to in RESP on the same main port (a connection whose first byte is `*`),
 * with the client code that drives Redis. `node-floor` (opt-in) is bench/floor/floor-server.ts:
 * the least a Node server can do for the line protocol, one thread and one Map, so Haus can be
 * read against Node's own per-request cost as well as against Redis. `node-floor-sharded`
 * (opt-in) is bench/floor/sharded-floor-server.ts: the least a server of Haus's design can do
 * (a main thread, as many shard threads as Haus gets, a batch per shard per turn), so Haus can
 * be read against the cost of its design's thread hop too. Redis runs with persistence
 * off, as Haus has none, so neither pays for disk. Nothing is installed here: when
 * `redis-server` is missing, Redis is skipped and the report says why.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProtocolName } from './protocols/codec.js';
import { waitUntilServing } from './server-query.js';

export const LOOPBACK = '127.0.0.1';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_KEPT_CHARS = 4000;

export type ServerKind = 'haus' | 'haus-resp' | 'node-floor' | 'node-floor-sharded' | 'redis';

/** Every kind, in the order the report and the suites list them. */
export const SERVER_KINDS: readonly ServerKind[] = [
  'haus',
  'haus-resp',
  'node-floor',
  'node-floor-sharded',
  'redis',
];

/** The kinds driven when `--server` is not given (or is `all`): the floors are opt-in. */
export const DEFAULT_SERVER_KINDS: readonly ServerKind[] = ['haus', 'haus-resp', 'redis'];

/** Names for tables and charts. */
export const SERVER_LABEL: Record<ServerKind, string> = {
  haus: 'Haus',
  'haus-resp': 'Haus RESP',
  'node-floor': 'Node floor',
  'node-floor-sharded': 'Node floor, sharded',
  redis: 'Redis',
};

/**
 * Kinds with shard threads, started with the bench's shard count. The others' CPU is shown as
 * total and main thread, shards `-`.
 */
export function hasShards(kind: ServerKind): boolean {
  return kind === 'haus' || kind === 'haus-resp' || kind === 'node-floor-sharded';
}

export interface RunningServer {
  kind: ServerKind;
  protocol: ProtocolName;
  host: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL if it has not exited in time. */
  stop(): Promise<void>;
}

/** The Haus CLI built next to this file: dist/bench/servers.js -> dist/src/cli.js. */
export const HAUS_CLI_PATH = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** Starts Haus; `protocol` is how the bench will speak to it (default: its line protocol). */
export async function startHaus(options: {
  shards: number;
  protocol?: ProtocolName;
  extraArgs?: string[];
}): Promise<RunningServer> {
  const port = await freePort();
  const protocol = options.protocol ?? 'haus';
  const args = [
    HAUS_CLI_PATH,
    '--port',
    String(port),
    '--host',
    LOOPBACK,
    '--shards',
    String(options.shards),
    '--log-level',
    'warn',
    ...(options.extraArgs ?? []),
  ];
  const kind: ServerKind = protocol === 'haus' ? 'haus' : 'haus-resp';
  return launch({ kind, protocol, command: process.execPath, args, port });
}

/** The floor built next to this file: dist/bench/servers.js -> dist/bench/floor/floor-server.js. */
export const FLOOR_SERVER_PATH = fileURLToPath(new URL('./floor/floor-server.js', import.meta.url));

/** Starts the floor (line protocol, one thread, one Map) on a free loopback port. */
export async function startFloor(): Promise<RunningServer> {
  const port = await freePort();
  const args = [FLOOR_SERVER_PATH, String(port)];
  return launch({ kind: 'node-floor', protocol: 'haus', command: process.execPath, args, port });
}

/** The sharded floor, next to the floor in dist/bench/floor/. */
export const SHARDED_FLOOR_SERVER_PATH = fileURLToPath(
  new URL('./floor/sharded-floor-server.js', import.meta.url),
);

/**
 * Starts the sharded floor (line protocol, a main thread and `shards` shard threads) on a free
 * loopback port; `slotBytes` (default: its own 4 MiB) sizes each shard's two buffers.
 */
export async function startShardedFloor(options: {
  shards: number;
  slotBytes?: number;
}): Promise<RunningServer> {
  const port = await freePort();
  const args = [SHARDED_FLOOR_SERVER_PATH, String(port), String(options.shards)];
  if (options.slotBytes !== undefined) args.push(String(options.slotBytes));
  return launch({
    kind: 'node-floor-sharded',
    protocol: 'haus',
    command: process.execPath,
    args,
    port,
  });
}

export async function startRedis(): Promise<RunningServer> {
  const command = findOnPath('redis-server');
  if (command === null) throw new Error(REDIS_MISSING);
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    LOOPBACK,
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'no',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    '--logfile',
    '',
  ];
  return launch({ kind: 'redis', protocol: 'resp', command, args, port });
}

export const REDIS_MISSING =
  'redis-server not found on PATH: Redis runs skipped ' +
  '(on Debian: apt-get install -y redis-server)';

export function redisAvailable(): boolean {
  return findOnPath('redis-server') !== null;
}

async function launch(spec: {
  kind: ServerKind;
  protocol: ProtocolName;
  command: string;
  args: string[];
  port: number;
}): Promise<RunningServer> {
  const child = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  let spawnError: string | null = null;
  child.on('exit', (code, signal) => {
    exitCode = code ?? (signal === null ? -1 : null);
  });
  child.on('error', (error) => {
    spawnError = error.message;
  });
  const exited = () => {
    if (spawnError !== null) return `${spec.kind} did not start: ${spawnError}`;
    if (exitCode === undefined) return null;
    return `${spec.kind} exited (code ${exitCode}) before serving:\n${output}`;
  };
  try {
    await waitUntilServing({
      host: LOOPBACK,
      port: spec.port,
      protocol: spec.protocol,
      timeoutMs: START_TIMEOUT_MS,
      exited,
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.kind} has no pid`);
  return {
    kind: spec.kind,
    protocol: spec.protocol,
    host: LOOPBACK,
    port: spec.port,
    pid,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * A port nothing listens on right now. Another process could take it before the server binds
 * it; on a bench machine that race is rare, and the start then fails loudly rather than
 * measuring the wrong thing.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}
