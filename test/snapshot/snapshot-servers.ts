/**
 * Haus servers with a snapshot file for the snapshot tests: the real `dist/src/cli.js` in a
 * child process (test/support/server-process.ts), each in a temporary directory of its own,
 * with an ioredis client for RESP and the line-protocol client for SAVE.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { Client } from '../support/client.js';
import { cliPath, type RunningServer, runCli, startServer } from '../support/server-process.js';

export interface Haus {
  server: RunningServer;
  redis: Redis;
  /** Stops with SIGTERM (the last snapshot is written then); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SAVE over the line protocol: its reply, parsed. */
  lineSave(): Promise<{ status: string; mesg?: string }>;
}

const directories: string[] = [];
after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** A directory removed after the file's tests. */
export function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'haus-snapshot-'));
  directories.push(directory);
  return directory;
}

export async function connectRedis(port: number): Promise<Redis> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  await redis.connect();
  return redis;
}

export async function startHaus(
  file: string,
  options: { shards: number; args?: string[] } = { shards: 2 },
): Promise<Haus> {
  const server = await startServer([
    '--shards',
    String(options.shards),
    '--snapshot-file',
    file,
    ...(options.args ?? []),
  ]);
  const redis = await connectRedis(server.port);
  return {
    server,
    redis,
    async stop() {
      redis.disconnect();
      return server.stop();
    },
    async lineSave() {
      const client = await Client.connect(server.port);
      try {
        return await client.call('SAVE');
      } finally {
        client.close();
      }
    },
  };
}

/** Runs the server on `file` expecting it to refuse to start: its exit code and output. */
export function refusedStart(file: string): Promise<{ code: number | null; output: string }> {
  return runCli([
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--shards',
    '2',
    '--snapshot-file',
    file,
  ]).then(({ code, stdout, stderr }) => ({ code, output: stdout + stderr }));
}

/** Starts the server as another user (`uid`), for a directory the tests own but it may not
 * write (root may write anywhere). Resolves with its port once it listens. */
export function startHausAs(
  uid: number,
  args: readonly string[],
): Promise<{ port: number; stop: () => Promise<number | null>; output: () => string }> {
  const child = spawn(
    process.execPath,
    [cliPath, '--port', '0', '--host', '127.0.0.1', '--shards', '2', ...args],
    { uid, gid: uid, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const listening = /"port":(\d+),.*"msg":"haus listening"/.exec(output);
      if (listening !== null) {
        resolve({
          port: Number(listening[1]),
          output: () => output,
          stop: () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    void exited.then((code) => reject(new Error(`server exited (${code}): ${output}`)));
  });
}

/** INFO's field `name`, as text. */
export async function infoField(redis: Redis, name: string): Promise<string> {
  const info = await redis.info('persistence');
  const line = info.split('\r\n').find((entry) => entry.startsWith(`${name}:`));
  if (line === undefined) throw new Error(`INFO has no ${name}:\n${info}`);
  return line.slice(name.length + 1);
}
