/**
 * RESP framing over raw sockets (SPEC.md section 7): binary-safe keys and values, a value near
 * the line limit, deep pipelining, requests split at every byte position, malformed requests
 * (one `-ERR Protocol error` and the connection closes, as Redis does), and, on Haus only, the
 * line protocol and RESP sharing one port and one keyspace.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, sleep } from '../support/client.js';
import { encodeCommand, error, OK, PONG, RespClient } from '../support/resp-client.js';
import { describeOnTargets } from '../support/targets.js';

const mib = 1024 * 1024;

/** Every byte value, then line endings and bytes that look like RESP inside the value. */
const awkwardBytes = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from('\r\n\r\r\n\n*1\r\n$4\r\nPING\r\n$-1\r\n+OK\r\n-ERR x\r\n\0'),
]);

/** Writes `data` in two packets, split at `position`, with a pause between them. */
async function writeSplit(client: RespClient, data: Buffer, position: number): Promise<void> {
  client.write(data.subarray(0, position));
  await sleep(5);
  client.write(data.subarray(position));
}

/** Runs `run` for each item, at most `width` at a time. */
async function inBatches<T>(items: T[], width: number, run: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += width) {
    await Promise.all(items.slice(i, i + width).map(run));
  }
}

describeOnTargets('RESP framing', { bulk: 'buffer' }, (ctx) => {
  test('a value with every byte 0-255, CR and LF comes back byte for byte', async () => {
    assert.deepEqual(await ctx.client.call('SET', 'proto:bin:a', awkwardBytes), OK);
    assert.deepEqual(await ctx.client.call('GET', 'proto:bin:a'), awkwardBytes);
    assert.equal(await ctx.client.call('STRLEN', 'proto:bin:a'), awkwardBytes.length);
    assert.deepEqual(
      await ctx.client.call('GETRANGE', 'proto:bin:a', '10', '13'),
      Buffer.from([10, 11, 12, 13]),
    );
    assert.equal(
      await ctx.client.call('APPEND', 'proto:bin:a', Buffer.from([0, 13, 10])),
      awkwardBytes.length + 3,
    );
    assert.deepEqual(
      await ctx.client.call('GET', 'proto:bin:a'),
      Buffer.concat([awkwardBytes, Buffer.from([0, 13, 10])]),
    );
    assert.deepEqual(await ctx.client.call('MGET', 'proto:bin:a', 'proto:bin:missing'), [
      Buffer.concat([awkwardBytes, Buffer.from([0, 13, 10])]),
      null,
    ]);
  });

  test('a key with CR, LF, spaces and non-UTF-8 bytes is its own key', async () => {
    const key = Buffer.concat([
      Buffer.from('proto:binkey:'),
      Buffer.from([0, 0xff, 13, 10, 32, 9]),
    ]);
    const similar = Buffer.concat([
      Buffer.from('proto:binkey:'),
      Buffer.from([0, 0xfe, 13, 10, 32, 9]),
    ]);
    assert.deepEqual(await ctx.client.call('SET', key, 'one'), OK);
    assert.deepEqual(await ctx.client.call('SET', similar, 'two'), OK);
    assert.deepEqual(await ctx.client.call('GET', key), Buffer.from('one'));
    assert.deepEqual(await ctx.client.call('GET', similar), Buffer.from('two'));
    const listed = (await ctx.client.call('KEYS', 'proto:binkey:*')) as Buffer[];
    assert.deepEqual(
      listed.map((name) => name.toString('hex')).sort(),
      [key, similar].map((name) => name.toString('hex')).sort(),
    );
    assert.equal(await ctx.client.call('DEL', key, similar), 2);
  });

  test('a value of 16 MiB less 1 KiB is stored and read back whole', async () => {
    const value = Buffer.alloc(16 * mib - 1024);
    for (let i = 0; i < value.length; i += 4096) value.write(`@${i}:`, i);
    const big = await RespClient.connect(ctx.target.port, { bulk: 'buffer' });
    try {
      big.send('SET', 'proto:big:a', value);
      assert.deepEqual(await big.read(15_000), OK);
      assert.equal(await big.call('STRLEN', 'proto:big:a'), value.length);
      big.send('GET', 'proto:big:a');
      const reply = (await big.read(15_000)) as Buffer;
      assert.ok(Buffer.isBuffer(reply));
      assert.equal(reply.length, value.length);
      assert.ok(reply.equals(value), 'the bytes read back are the bytes written');
      assert.equal(await big.call('DEL', 'proto:big:a'), 1);
    } finally {
      big.close();
    }
  });

  test('10,000 commands pipelined in one write are all answered, in order', async () => {
    const client = await RespClient.connect(ctx.target.port);
    try {
      const commands: string[][] = [];
      for (let i = 0; i < 10_000; i += 1) {
        if (i % 3 === 0) commands.push(['INCR', 'proto:pipe:n']);
        else if (i % 3 === 1) commands.push(['SET', `proto:pipe:${i}`, `v${i}`]);
        else commands.push(['GET', `proto:pipe:${i - 1}`]);
      }
      const replies = await client.pipeline(commands, 15_000);
      const expected = commands.map((command, i) => {
        if (command[0] === 'INCR') return i / 3 + 1;
        if (command[0] === 'SET') return OK;
        return `v${i - 1}`;
      });
      assert.deepEqual(replies, expected);
    } finally {
      client.close();
    }
  });

  test('a request split into two packets at every byte position is answered whole', async () => {
    const request = (id: string) =>
      Buffer.concat([
        encodeCommand(['SET', `proto:split:${id}`, 'va\r\nl\nue\r']),
        encodeCommand(['GET', `proto:split:${id}`]),
        encodeCommand(['PING']),
      ]);
    const length = request('000').length;
    const positions = Array.from({ length: length - 1 }, (_, i) => i + 1);
    await inBatches(positions, 16, async (position) => {
      const id = String(position).padStart(3, '0');
      const client = await RespClient.connect(ctx.target.port);
      try {
        await writeSplit(client, request(id), position);
        assert.deepEqual(await client.readMany(3), [OK, 'va\r\nl\nue\r', PONG], `at ${position}`);
      } finally {
        client.close();
      }
    });
  });

  test('a request sent one byte at a time is answered whole', async () => {
    const client = await RespClient.connect(ctx.target.port);
    try {
      const data = Buffer.concat([
        encodeCommand(['SET', 'proto:bytewise:a', 'x\r\ny']),
        encodeCommand(['GET', 'proto:bytewise:a']),
      ]);
      for (const byte of data) {
        client.write(Buffer.from([byte]));
        await sleep(1);
      }
      assert.deepEqual(await client.readMany(2), [OK, 'x\r\ny']);
    } finally {
      client.close();
    }
  });

  test("malformed requests get one '-ERR Protocol error' and the connection is closed", async () => {
    const cases: Array<[string, string]> = [
      ['*1\r\n$abc\r\n', 'invalid bulk length'],
      ['*abc\r\n', 'invalid multibulk length'],
      ['*1\r\nfoo\r\n', "expected '$', got 'f'"],
      ['*1\r\n$-1\r\n', 'invalid bulk length'],
      ['*1\r\n$ 4\r\nPING\r\n', 'invalid bulk length'],
      ['*1 \r\n$4\r\nPING\r\n', 'invalid multibulk length'],
      ['*1\n$4\r\nPING\r\n', 'invalid multibulk length'],
      // Lengths past any limit: refused when the header arrives, never buffered.
      ['*2\r\n$3\r\nGET\r\n$1099511627776\r\n', 'invalid bulk length'],
      ['*99999999999\r\n', 'invalid multibulk length'],
      // A header line that never ends is not buffered without bound either.
      [`*${'1'.repeat(70_000)}`, 'too big mbulk count string'],
      [`*1\r\n$${'1'.repeat(70_000)}`, 'too big bulk count string'],
    ];
    await inBatches(cases, 6, async ([data, reason]) => {
      const client = await RespClient.connect(ctx.target.port);
      try {
        // A valid command first: it is answered before the error.
        client.write(Buffer.concat([encodeCommand(['PING']), Buffer.from(data, 'latin1')]));
        assert.deepEqual(await client.read(), PONG, JSON.stringify(data.slice(0, 30)));
        assert.deepEqual(
          await client.read(),
          error(`ERR Protocol error: ${reason}`),
          JSON.stringify(data.slice(0, 30)),
        );
        assert.ok(await client.closesWithin(), `closed after ${JSON.stringify(data.slice(0, 30))}`);
        assert.equal(client.unreadReplies, 0);
      } finally {
        client.close();
      }
    });
  });

  test('an empty multibulk (*0) gets no reply and the connection goes on', async () => {
    const client = await RespClient.connect(ctx.target.port);
    try {
      client.write('*0\r\n');
      client.write(encodeCommand(['PING']));
      assert.deepEqual(await client.read(), PONG);
      await sleep(50);
      assert.equal(client.unreadReplies, 0);
    } finally {
      client.close();
    }
  });

  test('an inline command on the main port: Redis answers RESP, Haus the line protocol', async () => {
    if (ctx.kind === 'redis') {
      const client = await RespClient.connect(ctx.target.port);
      client.write('PING\r\n');
      assert.deepEqual(await client.read(), PONG);
      client.close();
      return;
    }
    // Documented difference (SPEC.md section 7): a first byte other than `*` means the line
    // protocol, so a hand-typed PING gets JSON. The --resp-port listener speaks RESP inline.
    const client = await Client.connect(ctx.target.port);
    assert.equal(await client.request('PING\r'), '{"status": "Ok", "result": "PONG"}');
    client.close();
  });

  test('line protocol and RESP share one keyspace (Haus only)', {
    skip: ctx.kind === 'redis' && 'Redis has no line protocol',
  }, async () => {
    const line = await Client.connect(ctx.target.port);
    const resp = await RespClient.connect(ctx.target.port);
    try {
      assert.equal(await line.request('PUT proto:mixed:a 1'), '{"status": "Ok"}');
      assert.equal(await resp.call('GET', 'proto:mixed:a'), '1');
      assert.deepEqual(await resp.call('SET', 'proto:mixed:b', 'from resp'), OK);
      assert.equal(
        await line.request('GET proto:mixed:b'),
        '{"status": "Ok", "result": "from resp"}',
      );
      assert.deepEqual(await resp.call('SET', 'proto:mixed:c', 'two\nlines "quoted" 说'), OK);
      assert.deepEqual(await line.call('GET proto:mixed:c'), {
        status: 'Ok',
        result: 'two\nlines "quoted" 说',
      });
      assert.equal(await resp.call('INCR', 'proto:mixed:a'), 2);
      assert.deepEqual(await line.call('GET proto:mixed:a'), { status: 'Ok', result: '2' });
      assert.equal(await line.request('DEL proto:mixed:b'), '{"status": "Ok"}');
      assert.equal(await resp.call('EXISTS', 'proto:mixed:b'), 0);
    } finally {
      line.close();
      resp.close();
    }
  });

  test('a line-protocol GET of a value that is not UTF-8 gets an Error saying so (Haus only)', {
    skip: ctx.kind === 'redis' && 'Redis has no line protocol',
  }, async () => {
    const line = await Client.connect(ctx.target.port);
    const resp = await RespClient.connect(ctx.target.port, { bulk: 'buffer' });
    try {
      const bytes = Buffer.from([0x41, 0xff, 0xfe, 0x42]);
      assert.deepEqual(await resp.call('SET', 'proto:mixed:binary', bytes), OK);
      const reply = await line.call('GET proto:mixed:binary');
      assert.equal(reply.status, 'Error');
      assert.match(reply.mesg ?? '', /UTF-8/);
      assert.equal(reply.result, undefined);
      // The value is untouched and still readable over RESP.
      assert.deepEqual(await resp.call('GET', 'proto:mixed:binary'), bytes);
    } finally {
      line.close();
      resp.close();
    }
  });
});
