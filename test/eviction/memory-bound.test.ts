/**
 * With an allkeys-* policy a write never fails for memory, and the process stays within
 * --max-memory (+25 %) under any write load (SPEC.md section 8): 1 GiB of 1 KiB writes into a
 * 128 MiB limit, pipelined from 20 clients, with RSS read from /proc every 100 ms.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { type TestContext, test } from 'node:test';
import { Client } from '../support/client.js';
import { rssBytes } from '../support/proc.js';
import { RespClient } from '../support/resp-client.js';
import { startServer } from '../support/server-process.js';

const mib = 1024 * 1024;

/** Sends `writes` PUTs of `value` over one connection, `inFlight` at a time; resolves with the
 * replies that were not Ok. */
function pipelinedPuts(
  port: number,
  options: { prefix: string; writes: number; value: string; inFlight: number },
): Promise<string[]> {
  const { prefix, writes, value, inFlight } = options;
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const refused: string[] = [];
    let sent = 0;
    let answered = 0;
    let pending = '';
    const send = () => {
      let chunk = '';
      while (sent < writes && sent - answered < inFlight)
        chunk += `PUT ${prefix}${sent++} ${value}\n`;
      if (chunk !== '') socket.write(chunk);
    };
    socket.setEncoding('latin1');
    socket.once('connect', send);
    socket.once('error', reject);
    socket.on('data', (text: string) => {
      pending += text;
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        answered++;
        if (line !== '{"status": "Ok"}' && refused.length < 10) refused.push(line);
        newline = pending.indexOf('\n');
      }
      if (answered === writes) {
        socket.end();
        resolve(refused);
      } else {
        send();
      }
    });
  });
}

test('1 GiB of 1 KiB writes from 20 pipelining clients into a 128 MiB limit: none refused, RSS never over 160 MiB', {
  timeout: 180_000,
}, async (t: TestContext) => {
  const server = await startServer(['--max-memory', '128mb', '--shards', '2']);
  t.after(() => server.stop());
  const pid = server.child.pid as number;
  const clients = 20;
  const value = 'v'.repeat(1024);
  const writesPerClient = Math.ceil((1024 * mib) / value.length / clients);

  let peakBytes = rssBytes(pid);
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const rss = rssBytes(pid);
    samples.push(rss);
    if (rss > peakBytes) peakBytes = rss;
  }, 100);
  const started = Date.now();
  let refusals: string[][];
  try {
    refusals = await Promise.all(
      Array.from({ length: clients }, (_, c) =>
        pipelinedPuts(server.port, {
          prefix: `c${c}:`,
          writes: writesPerClient,
          value,
          inFlight: 64,
        }),
      ),
    );
  } finally {
    clearInterval(sampler);
  }
  t.diagnostic(
    `${clients * writesPerClient} writes in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `RSS peak ${(peakBytes / mib).toFixed(0)} MiB over ${samples.length} samples`,
  );
  assert.deepEqual(refusals.flat(), [], 'no write was refused');
  assert.ok(samples.length >= 10, 'sampled while writing');
  assert.ok(peakBytes <= 160 * mib, `RSS peaked at ${(peakBytes / mib).toFixed(1)} MiB`);

  // The cache still caches: the last writes are there, and INFO counts what was evicted.
  const client = await Client.connect(server.port);
  t.after(() => client.close());
  assert.deepEqual(await client.call(`GET c0:${writesPerClient - 1}`), {
    status: 'Ok',
    result: value,
  });
  const resp = await RespClient.connect(server.port);
  t.after(() => resp.close());
  const info = (await resp.call('INFO', 'stats')) as string;
  const evicted = Number(/evicted_keys:(\d+)/.exec(info)?.[1]);
  assert.ok(evicted > clients * writesPerClient * 0.9, `evicted_keys:${evicted}`);
});
