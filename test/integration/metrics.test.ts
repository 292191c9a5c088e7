/**
 * --metrics-port (SPEC.md section 11): /metrics moves by exactly the commands, errors,
 * connections and transactions clients caused, over both protocols; the per-shard figures and
 * the latency histograms are there; `promtool check metrics` (Debian's prometheus package)
 * finds nothing to complain about; /healthz says whether the shards answer.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Client, sleep } from '../support/client.js';
import { OK, QUEUED, RespClient } from '../support/resp-client.js';
import { type RunningServer, startServer } from '../support/server-process.js';

type Samples = Map<string, number>;

/** `name{labels}` -> value, labels as the server printed them. */
function parseScrape(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, text: await response.text() };
}

async function scrape(port: number): Promise<{ text: string; samples: Samples }> {
  const { status, text } = await get(port, '/metrics');
  assert.equal(status, 200);
  return { text, samples: parseScrape(text) };
}

function metricsPortOf(server: RunningServer): number {
  const listening = server.logs.find((line) => line.msg === 'haus listening');
  const port = listening?.metricsPort;
  assert.equal(typeof port, 'number', 'the listening log line names metricsPort');
  return port as number;
}

describe('metrics endpoint', () => {
  let server: RunningServer;
  let metricsPort: number;
  before(async () => {
    server = await startServer(['--metrics-port', '0', '--shards', '2']);
    metricsPort = metricsPortOf(server);
  });
  after(() => server.stop());

  test('counters move by exactly what clients sent over both protocols', async () => {
    const before = (await scrape(metricsPort)).samples;
    const delta = (samples: Samples, name: string) =>
      (samples.get(name) ?? 0) - (before.get(name) ?? 0);

    const line = await Client.connect(server.port);
    const other = await Client.connect(server.port);
    assert.equal((await line.call('PUT a 1')).status, 'Ok');
    assert.equal((await line.call('GET a')).result, '1');
    assert.equal((await line.call('GET missing')).mesg, 'Key not found!');
    assert.equal((await line.call('FROB x')).status, 'Error');
    assert.equal((await line.call('START')).status, 'Ok');
    assert.equal((await line.call('PUT b 2')).status, 'Ok');
    assert.equal((await line.call('COMMIT')).status, 'Ok');
    // A START SERIALIZABLE transaction that loses to another client's write.
    assert.equal((await line.call('START SERIALIZABLE')).status, 'Ok');
    assert.equal((await line.call('GET a')).result, '1');
    assert.equal((await other.call('PUT a 9')).status, 'Ok');
    assert.equal((await line.call('PUT a 10')).status, 'Ok');
    assert.match((await line.call('COMMIT')).mesg ?? '', /written by someone else/);
    const lineReplies = 11 + 1;

    const resp = await RespClient.connect(server.port);
    const respOther = await RespClient.connect(server.port);
    assert.deepEqual(await resp.call('SET', 'k', 'v'), OK);
    assert.equal(await resp.call('GET', 'k'), 'v');
    assert.deepEqual(await resp.pipeline([['MULTI'], ['SET', 'k2', 'v2'], ['EXEC']]), [
      OK,
      QUEUED,
      [OK],
    ]);
    // An EXEC that a changed WATCHed key aborts.
    assert.deepEqual(await resp.call('WATCH', 'k'), OK);
    assert.deepEqual(await respOther.call('SET', 'k', 'changed'), OK);
    assert.deepEqual(await resp.pipeline([['MULTI'], ['SET', 'k', 'mine'], ['EXEC']]), [
      OK,
      QUEUED,
      null,
    ]);
    await resp.call('NOSUCHCOMMAND');
    await resp.call('GET');
    const respReplies = 11 + 1;

    const { text, samples } = await scrape(metricsPort);
    const commands = (protocol: string, command: string) =>
      delta(samples, `haus_commands_total{protocol="${protocol}",command="${command}"}`);
    assert.equal(commands('line', 'put'), 4);
    assert.equal(commands('line', 'get'), 3);
    assert.equal(commands('line', 'start'), 2);
    assert.equal(commands('line', 'commit'), 2);
    assert.equal(commands('resp', 'set'), 4);
    assert.equal(commands('resp', 'get'), 2);
    assert.equal(commands('resp', 'multi'), 2);
    assert.equal(commands('resp', 'exec'), 2);
    assert.equal(commands('resp', 'watch'), 1);
    assert.equal(commands('resp', 'del'), 0);

    const errors = (protocol: string, kind: string) =>
      delta(samples, `haus_errors_total{protocol="${protocol}",kind="${kind}"}`);
    assert.equal(errors('line', 'not_found'), 1);
    assert.equal(errors('line', 'usage'), 1);
    assert.equal(errors('line', 'conflict'), 1);
    assert.equal(errors('resp', 'usage'), 2);
    assert.equal(errors('resp', 'auth'), 0);

    assert.equal(delta(samples, 'haus_commits_total{protocol="line"}'), 1);
    assert.equal(delta(samples, 'haus_commit_conflicts_total{protocol="line"}'), 1);
    assert.equal(delta(samples, 'haus_commits_total{protocol="resp"}'), 1);
    assert.equal(delta(samples, 'haus_commit_conflicts_total{protocol="resp"}'), 1);

    assert.equal(delta(samples, 'haus_connections_received_total'), 4);
    assert.equal(samples.get('haus_connected_clients'), 4);

    // Keys a, b, k, k2 across the two shards; the GETs of a and k hit, GET missing missed.
    const perShard = (name: string) =>
      [0, 1].map((shard) => samples.get(`${name}{shard="${shard}"}`));
    const shardMetrics = [
      'haus_keys',
      'haus_keys_with_ttl',
      'haus_shard_data_bytes',
      'haus_shard_heap_used_bytes',
      'haus_expired_keys_total',
      'haus_evicted_keys_total',
      'haus_keyspace_hits_total',
      'haus_keyspace_misses_total',
    ];
    for (const name of shardMetrics) {
      for (const value of perShard(name)) assert.equal(typeof value, 'number', name);
    }
    assert.equal(
      perShard('haus_keyspace_misses_total').reduce<number>((sum, n) => sum + (n ?? 0), 0) -
        [0, 1].reduce(
          (sum, shard) => sum + (before.get(`haus_keyspace_misses_total{shard="${shard}"}`) ?? 0),
          0,
        ),
      1,
      'GET missing missed',
    );
    assert.equal(
      perShard('haus_keys').reduce<number>((sum, keys) => sum + (keys ?? 0), 0),
      4,
    );
    assert.ok(text.includes('# TYPE haus_expired_keys_total counter'));
    assert.ok(text.includes('# TYPE haus_command_duration_seconds histogram'));

    // One latency observation per reply, in cumulative buckets ending at +Inf.
    for (const [protocol, replies] of [
      ['line', lineReplies],
      ['resp', respReplies],
    ] as const) {
      const name = 'haus_command_duration_seconds';
      const count = delta(samples, `${name}_count{protocol="${protocol}"}`);
      assert.equal(count, replies, `${protocol} replies timed`);
      const inf = samples.get(`${name}_bucket{protocol="${protocol}",le="+Inf"}`);
      assert.equal(inf, samples.get(`${name}_count{protocol="${protocol}"}`));
      assert.ok((samples.get(`${name}_sum{protocol="${protocol}"}`) ?? 0) > 0);
      const buckets = [...samples]
        .filter(([key]) => key.startsWith(`${name}_bucket{protocol="${protocol}"`))
        .map(([, value]) => value);
      assert.ok(buckets.length > 10);
      assert.deepEqual(
        buckets,
        [...buckets].sort((x, y) => x - y),
        'buckets are cumulative',
      );
    }
    for (const client of [line, other]) client.close();
    for (const client of [resp, respOther]) client.close();
  });

  test('promtool check metrics finds nothing to complain about', async (t) => {
    const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (promtool.error !== undefined) {
      if (process.env.HAUS_SKIP_PROMTOOL === '1') {
        t.skip('promtool not installed and HAUS_SKIP_PROMTOOL=1');
        return;
      }
      assert.fail(
        'promtool not found: install it (apt-get install prometheus, as .ci/run does) or set ' +
          'HAUS_SKIP_PROMTOOL=1 to skip this check',
      );
    }
    const { text } = await scrape(metricsPort);
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
    assert.equal(`${checked.stdout}${checked.stderr}`.trim(), '');
  });

  test('/healthz answers 200 ok while the shards answer; other paths are 404', async () => {
    assert.deepEqual(await get(metricsPort, '/healthz'), { status: 200, text: 'ok\n' });
    assert.equal((await get(metricsPort, '/nothing-here')).status, 404);
  });
});

describe('metrics endpoint, each test on its own server', () => {
  test('/healthz answers 503 when a shard does not answer within a second', async () => {
    const server = await startServer([
      '--metrics-port',
      '0',
      '--shards',
      '2',
      '--enable-debug-commands',
    ]);
    try {
      const metricsPort = metricsPortOf(server);
      const client = await Client.connect(server.port);
      client.write('DEBUG STALL-SHARD 1 2500\n');
      await sleep(50);
      const health = await get(metricsPort, '/healthz');
      assert.equal(health.status, 503);
      assert.match(health.text, /shards did not answer within 1000 ms/);
      // The rest of the figures are still served, without the per-shard ones.
      const { samples } = await scrape(metricsPort);
      assert.equal(samples.get('haus_connected_clients'), 1);
      assert.equal(samples.has('haus_keys{shard="0"}'), false);
      await client.readLines(1);
      assert.equal((await get(metricsPort, '/healthz')).status, 200);
      client.close();
    } finally {
      await server.stop();
    }
  });

  test('connections refused at --max-clients are counted', async () => {
    const server = await startServer([
      '--metrics-port',
      '0',
      '--shards',
      '1',
      '--max-clients',
      '1',
    ]);
    try {
      const metricsPort = metricsPortOf(server);
      const first = await Client.connect(server.port);
      assert.equal((await first.call('PING')).result, 'PONG');
      const refused = await Client.connect(server.port);
      assert.match((await refused.readLines(1))[0] ?? '', /too many clients/);
      await refused.whenClosed;
      const { samples } = await scrape(metricsPort);
      assert.equal(samples.get('haus_connections_received_total'), 2);
      assert.equal(samples.get('haus_rejected_connections_total'), 1);
      assert.equal(samples.get('haus_connected_clients'), 1);
      first.close();
    } finally {
      await server.stop();
    }
  });

  test('without --metrics-port there is no metrics port', async () => {
    const server = await startServer(['--shards', '1']);
    try {
      const listening = server.logs.find((line) => line.msg === 'haus listening');
      assert.equal(listening?.metricsPort, undefined);
    } finally {
      await server.stop();
    }
  });
});
