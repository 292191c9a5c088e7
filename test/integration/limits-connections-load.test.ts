/**
 * 2,000 simultaneous connections, and 500 connections that each send half a line and stall,
 * do not slow other clients down noticeably: a probe client's round trip is compared against a
 * baseline taken in the same run (never an absolute time).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import { Client } from '../support/client.js';
import { startServer } from '../support/server-process.js';

const connectionsIdle = 2_000;
const connectionsStalled = 500;

/** Raises the open-files soft limit of a process to its hard limit when it is too low. */
function ensureOpenFiles(pid: number, needed: number): void {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const match = /Max open files\s+(\d+)\s+(\d+|unlimited)/.exec(limits);
  const soft = Number(match?.[1]);
  if (soft >= needed) return;
  execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${match?.[2]}:${match?.[2]}`]);
  const raised = Number(
    /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1],
  );
  assert.ok(raised >= needed, `open files limit ${raised} < ${needed}; raise ulimit -n`);
}

async function probeP50Ms(probe: Client, rounds: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    assert.deepEqual(await probe.call(`GET probe`), { status: 'Ok', result: 'p' });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

test('2,000 idle and 500 stalled connections do not slow a probe client', {
  timeout: 60_000,
}, async (t: TestContext) => {
  const needed = connectionsIdle + connectionsStalled + 200;
  ensureOpenFiles(process.pid, needed);
  const server = await startServer(['--shards', '2']);
  t.after(() => server.stop());
  ensureOpenFiles(server.child.pid as number, needed);

  const probe = await Client.connect(server.port);
  assert.deepEqual(await probe.call('PUT probe p'), { status: 'Ok' });
  await probeP50Ms(probe, 100);
  const baselineMs = await probeP50Ms(probe, 300);

  const crowd: Client[] = [];
  for (let i = 0; i < connectionsIdle; i += 100) {
    crowd.push(
      ...(await Promise.all(Array.from({ length: 100 }, () => Client.connect(server.port)))),
    );
  }
  for (let i = 0; i < connectionsStalled; i++) {
    const staller = await Client.connect(server.port);
    staller.write(`PUT stalled${i} half a li`);
    crowd.push(staller);
  }
  // Every connection is really served, not just accepted.
  assert.deepEqual(await (crowd[0] as Client).call('PING'), { status: 'Ok', result: 'PONG' });
  const loadedMs = await probeP50Ms(probe, 300);
  t.diagnostic(`probe p50 ${baselineMs.toFixed(3)} ms alone, ${loadedMs.toFixed(3)} ms loaded`);
  assert.ok(loadedMs < 5 * baselineMs + 3, `p50 ${loadedMs} ms vs baseline ${baselineMs} ms`);

  // The stalled lines complete later and are answered.
  const staller = crowd[connectionsIdle] as Client;
  assert.deepEqual(await staller.request('ne'), '{"status": "Ok"}');
  assert.deepEqual(await probe.call('GET stalled0'), { status: 'Ok', result: 'half a line' });
  for (const client of crowd) client.close();
  probe.close();
});
