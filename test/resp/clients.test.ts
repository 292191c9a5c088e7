/**
 * Real Redis clients against the server (SPEC.md section 7): ioredis, node-redis (RESP2 and
 * RESP3), Debian's redis-cli and redis-benchmark, and inline commands on the `--resp-port`
 * listener. Every await has a time limit, so a server that does not answer fails the test
 * rather than hanging the run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { OK, PONG, RespClient, withTimeout } from '../support/resp-client.js';
import { startTarget, type Target, targetKinds } from '../support/targets.js';

const toolTimeoutMs = 15_000;

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command-line tool to completion (killed after `toolTimeoutMs`). */
function runTool(command: string, args: string[], input?: string): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: toolTimeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (signal !== null) reject(new Error(`${command} killed by ${signal}: ${stdout}${stderr}`));
      else resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** The `-h 127.0.0.1 -p <port>` arguments of redis-cli and redis-benchmark. */
function hostArgs(port: number): string[] {
  return ['-h', '127.0.0.1', '-p', String(port)];
}

/** The last line of each test's `redis-benchmark -q` output (it redraws progress with \r). */
function benchmarkResults(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.split('\r').at(-1)?.trim() ?? '')
    .filter((line) => line !== '');
}

function ioredisClient(port: number): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableReadyCheck: true,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: true,
  });
  client.on('error', () => {});
  return client;
}

function nodeRedisClient(port: number, resp: 2 | 3) {
  const client = createClient({
    RESP: resp,
    socket: { host: '127.0.0.1', port, connectTimeout: 5_000, reconnectStrategy: false },
  });
  client.on('error', () => {});
  return client;
}

/** Runs `use` with an ioredis client connected to `port`, and disconnects it after. */
async function withIoredis(port: number, use: (client: Redis) => Promise<void>): Promise<void> {
  const client = ioredisClient(port);
  try {
    await withTimeout(client.connect(), 'ioredis connect');
    await use(client);
  } finally {
    client.disconnect();
  }
}

/** Runs `use` with a node-redis client (RESP2 or RESP3) connected to `port`, destroyed after. */
async function withNodeRedis(
  port: number,
  resp: 2 | 3,
  use: (client: ReturnType<typeof nodeRedisClient>) => Promise<void>,
): Promise<void> {
  const client = nodeRedisClient(port, resp);
  try {
    await withTimeout(
      client.connect(),
      resp === 3 ? 'node-redis RESP3 connect' : 'node-redis connect',
    );
    await use(client);
  } finally {
    client.destroy();
  }
}

for (const kind of targetKinds()) {
  describe(`Redis clients and tools (${kind})`, () => {
    let target: Target;
    let respPort: number;
    before(async () => {
      target = await startTarget(kind, { respPort: true });
      respPort = target.respPort as number;
    });
    after(async () => {
      await target?.stop();
    });

    test('ioredis connects through its INFO ready check and sets, gets and mgets', async () => {
      await withIoredis(target.port, async (client) => {
        assert.equal(await client.set('clients:io:a', 'hello'), 'OK');
        assert.equal(await client.get('clients:io:a'), 'hello');
        assert.equal(await client.get('clients:io:missing'), null);
        assert.equal(await client.mset({ 'clients:io:b': '2', 'clients:io:c': '3' }), 'OK');
        assert.deepEqual(await client.mget('clients:io:a', 'clients:io:x', 'clients:io:c'), [
          'hello',
          null,
          '3',
        ]);
        assert.equal(await client.incrby('clients:io:b', 40), 42);
        assert.equal(await client.set('clients:io:t', 'v', 'EX', 100), 'OK');
        assert.ok((await client.ttl('clients:io:t')) > 98);
        await assert.rejects(client.call('GET'), {
          message: "ERR wrong number of arguments for 'get' command",
        });
      });
    });

    test('ioredis MULTI/EXEC and pipelines', async () => {
      await withIoredis(target.port, async (client) => {
        const results = await client
          .multi()
          .set('clients:iomulti:a', '1')
          .incr('clients:iomulti:a')
          .get('clients:iomulti:a')
          .exec();
        assert.deepEqual(results, [
          [null, 'OK'],
          [null, 2],
          [null, '2'],
        ]);
        const piped = await client
          .pipeline()
          .set('clients:iopipe:a', 'x')
          .append('clients:iopipe:a', 'yz')
          .get('clients:iopipe:a')
          .exec();
        assert.deepEqual(piped, [
          [null, 'OK'],
          [null, 3],
          [null, 'xyz'],
        ]);
      });
    });

    test('ioredis scanStream returns every matching key', async () => {
      await withIoredis(target.port, async (client) => {
        const keys = Array.from({ length: 120 }, (_, i) => `clients:ioscan:${i}`);
        await client.mset(Object.fromEntries(keys.map((key) => [key, 'v'])));
        const found = new Set<string>();
        const stream = client.scanStream({ match: 'clients:ioscan:*', count: 20 });
        await withTimeout(
          new Promise<void>((resolve, reject) => {
            stream.on('data', (batch: string[]) => {
              for (const key of batch) found.add(key);
            });
            stream.on('end', resolve);
            stream.on('error', reject);
          }),
          'ioredis scanStream',
        );
        assert.deepEqual([...found].sort(), [...keys].sort());
      });
    });

    test('ioredis stores and reads binary Buffers byte for byte', async () => {
      await withIoredis(target.port, async (client) => {
        const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
        assert.equal(await client.set('clients:iobin:a', bytes), 'OK');
        const back = await client.getBuffer('clients:iobin:a');
        assert.ok(back?.equals(bytes));
        assert.equal(await client.strlen('clients:iobin:a'), 256);
      });
    });

    test('node-redis (RESP2) sets, gets, mGets, runs MULTI/EXEC, scans and reads Buffers', async () => {
      await withNodeRedis(target.port, 2, async (client) => {
        assert.equal(await withTimeout(client.set('clients:nr:a', 'hello'), 'SET'), 'OK');
        assert.equal(await withTimeout(client.get('clients:nr:a'), 'GET'), 'hello');
        assert.equal(await withTimeout(client.get('clients:nr:missing'), 'GET'), null);
        assert.deepEqual(await withTimeout(client.mGet(['clients:nr:a', 'clients:nr:x']), 'MGET'), [
          'hello',
          null,
        ]);
        const results = await withTimeout(
          client.multi().set('clients:nr:n', '10').incr('clients:nr:n').exec(),
          'MULTI/EXEC',
        );
        assert.deepEqual(results, ['OK', 11]);
        const keys = Array.from({ length: 60 }, (_, i) => `clients:nrscan:${i}`);
        await withTimeout(client.mSet(keys.map((key) => [key, 'v'] as [string, string])), 'MSET');
        const found = new Set<string>();
        await withTimeout(
          (async () => {
            for await (const batch of client.scanIterator({
              MATCH: 'clients:nrscan:*',
              COUNT: 10,
            })) {
              for (const key of batch) found.add(key);
            }
          })(),
          'scanIterator',
        );
        assert.deepEqual([...found].sort(), [...keys].sort());
        const bytes = Buffer.from([0, 1, 13, 10, 255, 254]);
        await withTimeout(client.set('clients:nr:bin', bytes), 'SET binary');
        const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
        const back = await withTimeout(binary.get('clients:nr:bin'), 'GET binary');
        assert.ok(Buffer.isBuffer(back) && back.equals(bytes));
        await assert.rejects(withTimeout(client.sendCommand(['GET']), 'GET without key'), {
          message: "ERR wrong number of arguments for 'get' command",
        });
      });
    });

    test('node-redis with RESP3 (HELLO 3) sets, gets, mGets and runs MULTI/EXEC', async () => {
      await withNodeRedis(target.port, 3, async (client) => {
        assert.equal(await withTimeout(client.set('clients:nr3:a', '1'), 'SET'), 'OK');
        assert.equal(await withTimeout(client.get('clients:nr3:missing'), 'GET'), null);
        assert.deepEqual(
          await withTimeout(client.mGet(['clients:nr3:a', 'clients:nr3:x']), 'MGET'),
          ['1', null],
        );
        assert.equal(
          await withTimeout(client.incrByFloat('clients:nr3:a', 1.5), 'INCRBYFLOAT'),
          '2.5',
        );
        const results = await withTimeout(
          client.multi().set('clients:nr3:b', 'x').get('clients:nr3:b').exec(),
          'MULTI/EXEC',
        );
        assert.deepEqual(results, ['OK', 'x']);
        const config = await withTimeout(client.configGet('maxmemory'), 'CONFIG GET');
        assert.ok('maxmemory' in config);
      });
    });

    test('redis-cli runs SET and GET, raw by default and quoted with --no-raw', async () => {
      const base = hostArgs(target.port);
      assert.deepEqual(await runTool('redis-cli', [...base, 'SET', 'clients:cli:a', 'b c']), {
        code: 0,
        stdout: 'OK\n',
        stderr: '',
      });
      assert.equal((await runTool('redis-cli', [...base, 'GET', 'clients:cli:a'])).stdout, 'b c\n');
      assert.equal(
        (await runTool('redis-cli', [...base, '--no-raw', 'GET', 'clients:cli:a'])).stdout,
        '"b c"\n',
      );
      assert.equal(
        (await runTool('redis-cli', [...base, '--no-raw', 'GET', 'clients:cli:missing'])).stdout,
        '(nil)\n',
      );
      assert.equal(
        (await runTool('redis-cli', [...base, '--no-raw', 'INCR', 'clients:cli:n'])).stdout,
        '(integer) 1\n',
      );
      assert.equal(
        (await runTool('redis-cli', [...base, '--no-raw', 'GET'])).stdout,
        "(error) ERR wrong number of arguments for 'get' command\n",
      );
    });

    test('redis-cli runs a MULTI/EXEC typed on its standard input', async () => {
      const base = hostArgs(target.port);
      const input = 'MULTI\nSET clients:climulti:a 1\nINCR clients:climulti:a\nEXEC\n';
      const raw = await runTool('redis-cli', base, input);
      assert.deepEqual(raw, { code: 0, stdout: 'OK\nQUEUED\nQUEUED\nOK\n2\n', stderr: '' });
      const quoted = await runTool('redis-cli', [...base, '--no-raw'], input);
      assert.equal(quoted.stdout, 'OK\nQUEUED\nQUEUED\n1) OK\n2) (integer) 2\n');
    });

    test('redis-benchmark ping_mbulk, set, get, incr and mset at -P 16 complete cleanly', async () => {
      const run = await runTool('redis-benchmark', [
        ...hostArgs(target.port),
        '-t',
        'ping_mbulk,set,get,incr,mset',
        '-P',
        '16',
        '-q',
        '-n',
        '2000',
      ]);
      assert.equal(run.stderr, '');
      assert.equal(run.code, 0);
      const results = benchmarkResults(run.stdout);
      const names = ['PING_MBULK', 'SET', 'GET', 'INCR', 'MSET (10 keys)'];
      assert.deepEqual(
        results.map((line) => line.slice(0, line.indexOf(':'))),
        names,
        run.stdout,
      );
      for (const line of results) assert.match(line, /: [\d.]+ requests per second/);
    });

    test('redis-benchmark ping_inline completes on the RESP port', async () => {
      const run = await runTool('redis-benchmark', [
        ...hostArgs(respPort),
        '-t',
        'ping_inline',
        '-q',
        '-n',
        '2000',
      ]);
      assert.equal(run.stderr, '');
      assert.equal(run.code, 0);
      const results = benchmarkResults(run.stdout);
      assert.equal(results.length, 1, run.stdout);
      assert.match(results[0] as string, /^PING_INLINE: [\d.]+ requests per second/);
    });

    test('inline commands on the RESP port get RESP replies, quoted arguments included', async () => {
      const client = await RespClient.connect(respPort);
      try {
        client.write('PING\r\n');
        assert.deepEqual(await client.read(), PONG);
        client.write('SET clients:inline:a "hello world"\r\n');
        assert.deepEqual(await client.read(), OK);
        client.write('GET clients:inline:a\n');
        assert.equal(await client.read(), 'hello world');
        client.write('  EXISTS   clients:inline:a   clients:inline:b  \r\n');
        assert.equal(await client.read(), 1);
        // A multibulk request on the same connection is understood too.
        assert.equal(await client.call('STRLEN', 'clients:inline:a'), 11);
      } finally {
        client.close();
      }
    });
  });
}
