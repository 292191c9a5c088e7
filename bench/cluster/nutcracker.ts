/**
 * twemproxy (Debian's `nutcracker`) in front of several RESP servers on loopback, for the
 * cluster test (test/cluster/) and the cluster bench: writes its YAML config, starts it, waits
 * until its port accepts connections, reads its stats, and stops it. The config is the one the
 * compose profile `cluster` runs (docker/twemproxy/entrypoint.sh), so the tests prove that one:
 * ketama consistent hashing of murmur over the servers' names, and auto-ejection of a server
 * that fails `server_failure_limit` times in a row, for `server_retry_timeout` ms.
 *
 * murmur, not the fnv1a_64 of twemproxy's examples: on keys that differ only in their last
 * digits (`user:1`, `user:2`, ...) fnv1a_64 clumps. Measured with three servers: 150 such keys
 * went 7/0/93 % with fnv1a_64 and 36/32/32 % with murmur; 10,000 went 37/18/45 against
 * 36/31/33 (md5, one_at_a_time and jenkins did as well as murmur).
 *
 * Servers are placed on the ring by name, not address: a server that moves to another host
 * keeps its share of the keys as long as its name stays.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath, freePort, LOOPBACK } from '../servers.js';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_KEPT_CHARS = 8_000;
const SBIN_NUTCRACKER = '/usr/sbin/nutcracker';

export interface ProxiedServer {
  port: number;
  /** Its place on the hash ring (ketama hashes the name, not the address). */
  name: string;
}

export interface NutcrackerOptions {
  servers: readonly ProxiedServer[];
  /** `redis_auth`: sent with AUTH on every connection to a server, and asked of clients. */
  password?: string;
  /** Failures in a row that eject a server (`server_failure_limit`). */
  failureLimit: number;
  /** How long an ejected server stays out before one request tries it again. */
  retryTimeoutMs: number;
  /** A server that takes longer than this to answer counts as failed (`timeout`). */
  timeoutMs: number;
  /** Connections from the proxy to each server (`server_connections`; 1 is twemproxy's
   * default: every client's requests share it, pipelined). */
  serverConnections?: number;
}

export interface RunningNutcracker {
  port: number;
  statsPort: number;
  pid: number;
  /** The pool's counters as the stats port serves them (refreshed every 100 ms). */
  stats(): Promise<NutcrackerStats>;
  /** What nutcracker logged so far (its last 8,000 characters). */
  output(): string;
  stop(): Promise<void>;
}

export interface NutcrackerStats {
  serverEjects: number;
  /** Per server name: requests forwarded to it, and whether it is ejected now. */
  servers: Map<string, { requests: number; ejectedAtS: number }>;
}

export const POOL_NAME = 'haus';

export const NUTCRACKER_MISSING =
  'nutcracker (twemproxy) is not on PATH: apt-get install -y nutcracker (.ci/run does)';

/** Where the binary is: Debian installs it in /usr/sbin, which a non-root PATH may lack. */
export function findNutcracker(): string | null {
  const onPath = findOnPath('nutcracker');
  if (onPath !== null) return onPath;
  try {
    accessSync(SBIN_NUTCRACKER, constants.X_OK);
    return SBIN_NUTCRACKER;
  } catch {
    return null;
  }
}

/** The pool in nutcracker's YAML, as docker/twemproxy/entrypoint.sh writes it. */
export function nutcrackerConfig(options: NutcrackerOptions & { listenPort: number }): string {
  const lines = [
    `${POOL_NAME}:`,
    `  listen: ${LOOPBACK}:${options.listenPort}`,
    '  redis: true',
    '  hash: murmur',
    // Keys that share a {tag} hash by it alone, as in Redis Cluster: one server holds them all.
    '  hash_tag: "{}"',
    '  distribution: ketama',
    '  auto_eject_hosts: true',
    `  server_failure_limit: ${options.failureLimit}`,
    `  server_retry_timeout: ${options.retryTimeoutMs}`,
    `  timeout: ${options.timeoutMs}`,
    `  server_connections: ${options.serverConnections ?? 1}`,
    '  preconnect: true',
  ];
  if (options.password !== undefined) lines.push(`  redis_auth: ${options.password}`);
  lines.push('  servers:');
  for (const server of options.servers) {
    lines.push(`    - ${LOOPBACK}:${server.port}:1 ${server.name}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function startNutcracker(options: NutcrackerOptions): Promise<RunningNutcracker> {
  const binary = findNutcracker();
  if (binary === null) throw new Error(NUTCRACKER_MISSING);
  const [port, statsPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'haus-nutcracker-'));
  const configPath = join(dir, 'nutcracker.yml');
  writeFileSync(configPath, nutcrackerConfig({ ...options, listenPort: port }));
  // Debian's build logs to /var/log/nutcracker by default; an empty --output means stderr.
  const args = ['-c', configPath, '-s', String(statsPort), '-a', LOOPBACK, '-i', '100'];
  args.push('--output=');
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    await waitForPort(port, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    removeDir();
    throw error;
  }
  return {
    port,
    statsPort,
    pid: child.pid as number,
    stats: () => readStats(statsPort),
    output: () => output,
    async stop() {
      // nutcracker exits on SIGINT (it has no SIGTERM handler; the image says STOPSIGNAL).
      if (child.exitCode === null && child.signalCode === null) {
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        child.kill('SIGINT');
        await exited;
        clearTimeout(timer);
      }
      removeDir();
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`nutcracker exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nutcracker did not listen on ${port} in ${START_TIMEOUT_MS} ms:\n${output()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, LOOPBACK);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The stats port writes one JSON document and closes. */
function readStats(statsPort: number): Promise<NutcrackerStats> {
  return new Promise((resolve, reject) => {
    const socket = connect(statsPort, LOOPBACK);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('error', reject);
    socket.once('end', () => {
      try {
        resolve(parseStats(text));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function parseStats(text: string): NutcrackerStats {
  const document = JSON.parse(text) as Record<string, unknown>;
  const pool = document[POOL_NAME] as Record<string, unknown> | undefined;
  if (pool === undefined) throw new Error(`no pool '${POOL_NAME}' in nutcracker's stats`);
  const servers = new Map<string, { requests: number; ejectedAtS: number }>();
  for (const [name, value] of Object.entries(pool)) {
    if (typeof value !== 'object' || value === null) continue;
    const server = value as Record<string, number>;
    servers.set(name, {
      requests: server.requests ?? 0,
      ejectedAtS: server.server_ejected_at ?? 0,
    });
  }
  return { serverEjects: Number(pool.server_ejects ?? 0), servers };
}
