/**
 * The memory bench (issue 15): Haus against Redis on the same machine, in one run.
 *
 *   node dist/bench/memory/run.js [--shards 2] [--max-memory 256mb] [--load-seconds 30]
 *        [--only capacity,load,perkey] [--haus-port 9954] [--redis-port 6398]
 *        [--loadgen PATH] [--out FILE]
 *
 * - capacity: both servers at the same limit (Haus --max-memory, Redis maxmemory) under
 *   noeviction, filled with 32 B and then 1 KiB values until the first refused write: keys held
 *   then, and the ratio.
 * - load: 200k keys of 100 B, then `--load-seconds` of 40 connections writing and committing
 *   (the C load generator: 1:1 GET:SET, a fifth of the work in 4-write transactions, 4 in
 *   flight): RSS idle, right after loading, at most during the load and at its end.
 * - perkey: memory per key at 1M keys (16-byte keys, 32-byte values), with and without an
 *   expiry: RSS growth for both, Redis's used_memory growth too.
 * Each measurement starts its servers fresh. Prints Markdown; `--out` also writes it to a file.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fill } from './fill.js';
import { findLoadgen, loadgenField, runLoadgen } from './loadgen.js';
import { type Kind, type Server, startServer } from './servers.js';

const mib = 1024 * 1024;
const kinds: readonly Kind[] = ['Haus', 'Redis'];

interface Options {
  shards: number;
  maxMemory: string;
  loadSeconds: number;
  only: Set<string>;
  hausPort: number;
  redisPort: number;
  loadgen: string | null;
  out: string | null;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    shards: 2,
    maxMemory: '256mb',
    loadSeconds: 30,
    only: new Set(['capacity', 'load', 'perkey']),
    hausPort: 9954,
    redisPort: 6398,
    loadgen: null,
    out: null,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    switch (argv[i]) {
      case '--shards':
        options.shards = Number(value);
        break;
      case '--max-memory':
        options.maxMemory = value;
        break;
      case '--load-seconds':
        options.loadSeconds = Number(value);
        break;
      case '--only':
        options.only = new Set(value.split(','));
        break;
      case '--haus-port':
        options.hausPort = Number(value);
        break;
      case '--redis-port':
        options.redisPort = Number(value);
        break;
      case '--loadgen':
        options.loadgen = value;
        break;
      case '--out':
        options.out = value;
        break;
      default:
        throw new Error(`unknown flag ${argv[i]}`);
    }
  }
  return options;
}

const progress = (text: string) => process.stderr.write(`memory bench: ${text}\n`);
const fmtMiB = (bytes: number) => (bytes / mib).toFixed(0);
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

function start(kind: Kind, options: Options, haus: string[], redis: string[]): Promise<Server> {
  return kind === 'Haus'
    ? startServer('Haus', { port: options.hausPort, shards: options.shards, args: haus })
    : startServer('Redis', { port: options.redisPort, args: redis });
}

/** Redis's maxmemory takes `256mb`; so does Haus's --max-memory. */
async function capacity(options: Options): Promise<string[]> {
  const lines = [
    `### Capacity: keys held at the first refused write (\`--max-memory ${options.maxMemory}\` / \`maxmemory ${options.maxMemory}\`, noeviction)`,
    '',
    '| value | Haus keys | Redis keys | Haus / Redis | Haus RSS MiB | Redis used_memory MiB | Redis RSS MiB |',
    '| --- | --: | --: | --: | --: | --: | --: |',
  ];
  for (const valueBytes of [32, 1024]) {
    const held: Record<string, { keys: number; rss: number; used: number }> = {};
    for (const kind of kinds) {
      const server = await start(
        kind,
        options,
        ['--max-memory', options.maxMemory, '--eviction-policy', 'noeviction'],
        ['--maxmemory', options.maxMemory, '--maxmemory-policy', 'noeviction'],
      );
      try {
        await sleep(1_000);
        const keys = valueBytes < 100 ? 20_000_000 : 2_000_000;
        const result = await fill({ port: server.port, valueBytes, keys, untilRefused: true });
        const dbsize = Number(await server.link.ok('DBSIZE'));
        const used = kind === 'Redis' ? await server.info('memory', 'used_memory') : 0;
        held[kind] = { keys: dbsize, rss: server.rssBytes(), used };
        progress(
          `capacity ${valueBytes} B ${kind}: ${dbsize} keys (${result.accepted} OK before ` +
            `${result.refusal ?? 'no refusal'}), RSS ${fmtMiB(server.rssBytes())} MiB`,
        );
      } finally {
        await server.stop();
      }
    }
    const haus = held.Haus as { keys: number; rss: number };
    const redis = held.Redis as { keys: number; rss: number; used: number };
    lines.push(
      `| ${valueBytes === 1024 ? '1 KiB' : `${valueBytes} B`} | ${fmtInt(haus.keys)} | ${fmtInt(redis.keys)} | ` +
        `${(haus.keys / redis.keys).toFixed(2)}x | ${fmtMiB(haus.rss)} | ${fmtMiB(redis.used)} | ${fmtMiB(redis.rss)} |`,
    );
  }
  return lines;
}

async function load(options: Options): Promise<string[]> {
  const loadgen = findLoadgen(options.loadgen);
  const seconds = options.loadSeconds;
  const lines = [
    `### Resident memory: 200k keys of 100 B, then ${seconds} s of 40 connections writing and committing`,
    '',
    '| server | RSS idle MiB | right after loading | most during the load | at its end | end / loaded | ops/s |',
    '| --- | --: | --: | --: | --: | --: | --: |',
  ];
  if (loadgen === null) {
    progress('no load generator (cc and ../shared/loadgen/loadgen.c, or --loadgen): load skipped');
    return [...lines, '| (skipped: no load generator) | | | | | | |'];
  }
  const rows: Record<string, number> = {};
  for (const kind of kinds) {
    const server = await start(kind, options, [], []);
    try {
      await sleep(2_000);
      const idle = server.rssBytes();
      await fill({ port: server.port, valueBytes: 100, keys: 200_000 });
      await sleep(2_000);
      const loaded = server.rssBytes();
      let peak = loaded;
      const sampler = setInterval(() => {
        peak = Math.max(peak, server.rssBytes());
      }, 250);
      const line = await runLoadgen(loadgen, [
        '--proto',
        'resp',
        '--port',
        String(server.port),
        '-c',
        '40',
        '-P',
        '4',
        '--keys',
        '200000',
        '--value-size',
        '100',
        '--ratio',
        '1:1',
        '--txn',
        '4:0.2',
        '-d',
        String(seconds),
        '-q',
      ]);
      clearInterval(sampler);
      const end = server.rssBytes();
      peak = Math.max(peak, end);
      const opsPerSecond = loadgenField(line, 'ops/s');
      rows[kind] = loaded;
      progress(
        `load ${kind}: idle ${fmtMiB(idle)}, loaded ${fmtMiB(loaded)}, peak ${fmtMiB(peak)}, ` +
          `end ${fmtMiB(end)} MiB; ${line}`,
      );
      lines.push(
        `| ${kind} | ${fmtMiB(idle)} | ${fmtMiB(loaded)} | ${fmtMiB(peak)} | ${fmtMiB(end)} | ` +
          `${(end / loaded).toFixed(2)}x | ${fmtInt(opsPerSecond)} |`,
      );
    } finally {
      await server.stop();
    }
  }
  if (rows.Haus !== undefined && rows.Redis !== undefined) {
    lines.push('', `Haus / Redis RSS right after loading: ${(rows.Haus / rows.Redis).toFixed(2)}x`);
  }
  return lines;
}

async function perKey(options: Options): Promise<string[]> {
  const keys = 1_000_000;
  const lines = [
    '### Memory per key at 1M keys (16-byte keys, 32-byte values)',
    '',
    '| | Haus RSS | Redis used_memory | Redis RSS | Haus RSS / Redis used_memory |',
    '| --- | --: | --: | --: | --: |',
  ];
  for (const withExpiry of [false, true]) {
    const perKeyOf: Record<string, { rss: number; used: number }> = {};
    for (const kind of kinds) {
      const server = await start(kind, options, [], []);
      try {
        await sleep(1_000);
        const rssBefore = server.rssBytes();
        const usedBefore = kind === 'Redis' ? await server.info('memory', 'used_memory') : 0;
        await fill({
          port: server.port,
          valueBytes: 32,
          keys,
          ...(withExpiry ? { expirySeconds: 3600 } : {}),
        });
        // A shard idle for a second collects what the load left (workers/shard-worker.ts).
        await sleep(3_000);
        const usedAfter = kind === 'Redis' ? await server.info('memory', 'used_memory') : 0;
        perKeyOf[kind] = {
          rss: (server.rssBytes() - rssBefore) / keys,
          used: (usedAfter - usedBefore) / keys,
        };
        progress(
          `per key ${kind} ${withExpiry ? 'with' : 'without'} expiry: ${JSON.stringify(perKeyOf[kind])}`,
        );
      } finally {
        await server.stop();
      }
    }
    const haus = perKeyOf.Haus as { rss: number };
    const redis = perKeyOf.Redis as { rss: number; used: number };
    lines.push(
      `| ${withExpiry ? 'with an expiry' : 'without expiry'} | ${haus.rss.toFixed(0)} B | ${redis.used.toFixed(0)} B | ` +
        `${redis.rss.toFixed(0)} B | ${(haus.rss / redis.used).toFixed(2)}x |`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const out = [`## Memory: Haus (${options.shards} shards) against Redis`, ''];
  if (options.only.has('capacity')) out.push(...(await capacity(options)), '');
  if (options.only.has('load')) out.push(...(await load(options)), '');
  if (options.only.has('perkey')) out.push(...(await perKey(options)), '');
  const text = out.join('\n');
  process.stdout.write(`${text}\n`);
  if (options.out !== null) writeFileSync(options.out, `${text}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`memory bench failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
