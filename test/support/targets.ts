/**
 * The servers a Redis-protocol test can run against: Haus (the real `dist/src/cli.js`) or a real
 * `redis-server`. The RESP suites run every test against both, so a test whose expectation Redis
 * itself does not meet is caught as a wrong test rather than shipped as a wrong requirement.
 *
 * `HAUS_TEST_TARGETS=redis` (or `haus`, or `redis,haus`) picks the targets; without it both run,
 * and Redis is skipped with a note when `redis-server` is not installed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe } from 'node:test';
import { RespClient, type RespClientOptions } from './resp-client.js';
import { type RunningServer, startServer } from './server-process.js';

export type TargetKind = 'haus' | 'redis';

export interface TargetOptions {
  /** Haus shard count (default 2). Ignored for Redis. */
  shards?: number;
  /** Extra Haus flags (e.g. `--max-tx-writes 3`). Ignored for Redis, whose flags differ. */
  args?: string[];
  /** Haus: also open the `--resp-port` listener (SPEC.md section 7). Redis: its one port. */
  respPort?: boolean;
  /** Both: the password clients must give (`--requirepass`). */
  password?: string;
}

export interface Target {
  kind: TargetKind;
  /** The main port: RESP multibulk requests (and, on Haus, the line protocol). */
  port: number;
  /** The port where inline commands are RESP too; set when asked for (always for Redis). */
  respPort?: number;
  /** The Haus process, for its logs; absent for Redis. */
  haus?: RunningServer;
  stop(): Promise<void>;
}

const allKinds: readonly TargetKind[] = ['redis', 'haus'];
const redisStartTimeoutMs = 5_000;

/** The targets to run, from `HAUS_TEST_TARGETS` and what is installed. */
export function targetKinds(): TargetKind[] {
  const wanted = parseWantedKinds(process.env.HAUS_TEST_TARGETS);
  if (wanted.includes('redis') && !redisServerInstalled()) {
    console.log('redis-server is not on PATH: the RESP tests run against Haus only');
    return wanted.filter((kind) => kind !== 'redis');
  }
  return wanted;
}

function parseWantedKinds(text: string | undefined): TargetKind[] {
  if (text === undefined || text.trim() === '') return [...allKinds];
  const names = text.split(',').map((name) => name.trim().toLowerCase());
  for (const name of names) {
    if (!allKinds.includes(name as TargetKind)) {
      throw new Error(`HAUS_TEST_TARGETS: '${name}' is not a target; use redis, haus or both`);
    }
  }
  return allKinds.filter((kind) => names.includes(kind));
}

let redisInstalled: boolean | undefined;
function redisServerInstalled(): boolean {
  redisInstalled ??= spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  return redisInstalled;
}

export function startTarget(kind: TargetKind, options: TargetOptions = {}): Promise<Target> {
  return kind === 'haus' ? startHaus(options) : startRedis(options.password);
}

/** What `describeOnTargets` starts: the target (as `startTarget` takes it) and the shared client. */
export interface OnTargetsOptions extends TargetOptions {
  /** How the shared client returns bulk strings (`RespClient.connect`'s option). */
  bulk?: RespClientOptions['bulk'];
}

/**
 * One run of a `describeOnTargets` body: its target kind, and the target and connected client
 * that `before` started. `target` and `client` are there once `before` has run, so tests read
 * them when they run, never while the describe is being declared.
 */
export interface TargetContext {
  readonly kind: TargetKind;
  readonly target: Target;
  readonly client: RespClient;
}

/**
 * For each target kind, a describe titled `${title} (${kind})` that starts the target and a
 * connected `RespClient` before its tests, and closes both after them (after the body's own
 * `after` hooks, so a body's extra clients close before the target stops).
 */
export function describeOnTargets(
  title: string,
  options: OnTargetsOptions,
  body: (ctx: TargetContext) => void,
): void {
  const { bulk, ...targetOptions } = options;
  for (const kind of targetKinds()) {
    describe(`${title} (${kind})`, () => {
      let target: Target | undefined;
      let client: RespClient | undefined;
      before(async () => {
        target = await startTarget(kind, targetOptions);
        client = await RespClient.connect(target.port, { bulk });
      });
      body({
        kind,
        get target() {
          if (target === undefined) throw new Error(`the ${kind} target has not started`);
          return target;
        },
        get client() {
          if (client === undefined) throw new Error(`the ${kind} client has not connected`);
          return client;
        },
      });
      after(async () => {
        client?.close();
        await target?.stop();
      });
    });
  }
}

async function startHaus(options: TargetOptions): Promise<Target> {
  const server = await startServer([
    '--shards',
    String(options.shards ?? 2),
    ...(options.respPort === true ? ['--resp-port', '0'] : []),
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.args ?? []),
  ]);
  const target: Target = {
    kind: 'haus',
    port: server.port,
    haus: server,
    async stop() {
      const code = await server.stop();
      if (code !== 0) throw new Error(`haus exited with code ${code} on SIGTERM`);
    },
  };
  if (options.respPort === true) {
    const listening = await server.waitForLog((line) => line.msg === 'haus listening');
    if (typeof listening.respPort !== 'number') {
      await target.stop().catch(() => {});
      throw new Error(`'haus listening' has no respPort field: ${JSON.stringify(listening)}`);
    }
    target.respPort = listening.respPort;
  }
  return target;
}

/** Redis servers still running when the file's tests end are killed, as Haus's are. */
const runningRedis = new Set<ChildProcess>();
after(() => {
  setTimeout(() => {
    for (const child of runningRedis) child.kill('SIGKILL');
  }, 10_000).unref();
});

async function startRedis(password: string | undefined): Promise<Target> {
  // Another process can take the free port between our probe and redis-server's bind: retry.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await startRedisOnce(await freePort(), password);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startRedisOnce(port: number, password: string | undefined): Promise<Target> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      tmpdir(),
      ...(password === undefined ? [] : ['--requirepass', password]),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  runningRedis.add(child);
  void exited.then(() => runningRedis.delete(child));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`redis-server exited with code ${code}: ${output}`);
  };
  const deadline = Date.now() + redisStartTimeoutMs;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { kind: 'redis', port, respPort: port, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(address.port);
      });
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.setEncoding('latin1').on('data', (text: string) => {
      received += text;
      // With a password, NOAUTH says the server is up as well as PONG does.
      if (received.includes('\r\n'))
        done(received === '+PONG\r\n' || received.startsWith('-NOAUTH'));
    });
  });
}
