/**
 * A real redis-server for the RDB tests, in a temporary directory of its own, reached over a
 * Unix socket (no TCP port to pick, so no race with other tests for a free one). It loads
 * `dump.rdb` from that directory if the test put one there, and SAVE writes it back there.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface RedisServer {
  client: Redis;
  dumpPath: string;
  /** Everything the server logged so far. */
  log(): string;
  stop(): Promise<void>;
}

const startTimeoutMs = 10_000;

/** Like the RESP suites, these tests are skipped with a note where Redis is not installed (CI
 * installs it, so there they always run). */
export const redisMissing =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
    ? false
    : 'redis-server is not on PATH';

export async function startRedis(dir: string, extraArgs: string[] = []): Promise<RedisServer> {
  const socketPath = join(dir, 'redis.sock');
  const args = [
    ...['--port', '0', '--unixsocket', socketPath, '--unixsocketperm', '700'],
    ...['--dir', dir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no'],
    ...extraArgs,
  ];
  const server = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (data: Buffer) => {
    output += data.toString('utf8');
  });
  server.stderr.on('data', (data: Buffer) => {
    output += data.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const client = await connect(socketPath, server, () => output);
  return {
    client,
    dumpPath: join(dir, 'dump.rdb'),
    log: () => output,
    stop: async () => {
      client.disconnect();
      if (server.exitCode === null) server.kill('SIGTERM');
      await exited;
    },
  };
}

async function connect(socketPath: string, server: ChildProcess, log: () => string) {
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`redis-server exited:\n${log()}`);
    if (existsSync(socketPath)) {
      const client = new Redis({
        path: socketPath,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await client.connect();
        await client.ping();
        return client;
      } catch {
        client.disconnect();
      }
    }
    await sleep(50);
  }
  server.kill('SIGKILL');
  throw new Error(`redis-server did not start within ${startTimeoutMs} ms:\n${log()}`);
}
