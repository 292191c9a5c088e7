/**
 * The memory bench's servers, on fixed ports (so the bench never collides with other runs on
 * a shared machine): Haus with its flags, Redis with `--save '' --appendonly no` and its
 * settings as flags. Each is started fresh for each measurement and stopped after it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readRssBytes } from '../proc-stats.js';
import { findOnPath, HAUS_CLI_PATH, LOOPBACK } from '../servers.js';
import { RespLink } from '../snapshot/resp-link.js';

export type Kind = 'Haus' | 'Redis';

export interface Server {
  kind: Kind;
  port: number;
  pid: number;
  link: RespLink;
  rssBytes(): number;
  /** INFO's numeric field (Redis's used_memory, ...). */
  info(section: string, name: string): Promise<number>;
  stop(): Promise<void>;
}

export interface StartOptions {
  port: number;
  /** Haus: --shards. */
  shards?: number;
  /** Haus: extra flags; Redis: extra `--name value` pairs. */
  args?: string[];
}

export async function startServer(kind: Kind, options: StartOptions): Promise<Server> {
  const port = options.port;
  let command: string;
  let args: string[];
  if (kind === 'Haus') {
    command = process.execPath;
    args = [HAUS_CLI_PATH, '--port', String(port), '--host', LOOPBACK, '--log-level', 'warn'];
    args.push('--shards', String(options.shards ?? 2), ...(options.args ?? []));
  } else {
    const redis = findOnPath('redis-server');
    if (redis === null) throw new Error('redis-server not found on PATH');
    command = redis;
    args = ['--port', String(port), '--bind', LOOPBACK, '--save', '', '--appendonly', 'no'];
    args.push('--daemonize', 'no', '--loglevel', 'warning', ...(options.args ?? []));
  }
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  await waitForPort(port, child, () => stderr);
  const link = await RespLink.open(LOOPBACK, port);
  const pid = child.pid as number;
  return {
    kind,
    port,
    pid,
    link,
    rssBytes: () => readRssBytes(pid) ?? 0,
    info: async (section, name) => Number(await link.info(section, name)),
    stop: () => stopChild(child, link),
  };
}

async function waitForPort(port: number, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server on ${port} exited: ${output()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: LOOPBACK, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`server on ${port} did not start within 20 s: ${output()}`);
}

async function stopChild(child: ChildProcess, link: RespLink): Promise<void> {
  link.close();
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
