/**
 * Transport and framing (SPEC.md section 1): line endings, blank lines, pipelining, bytes split
 * anywhere, end of input, and the opt-in legacy framing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, sleep } from '../support/client.js';
import { type RunningServer, startServer } from '../support/server-process.js';

const ok = '{"status": "Ok"}';

describe('framing', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--shards', '2']);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('CRLF and LF line endings both work, and the CR is not part of the value', async () => {
    const client = await Client.connect(server.port);
    client.write('PUT crlf one\r\nPUT lf two\nGET crlf\r\nGET lf\n');
    assert.deepEqual(await client.readLines(4), [
      ok,
      ok,
      '{"status": "Ok", "result": "one"}',
      '{"status": "Ok", "result": "two"}',
    ]);
    client.close();
  });

  test('blank lines and lines of only spaces or tabs get no reply', async () => {
    const client = await Client.connect(server.port);
    client.write('\n\r\n   \n\t \r\nPING\n');
    assert.deepEqual(await client.readLines(1), ['{"status": "Ok", "result": "PONG"}']);
    await sleep(100);
    assert.equal(client.unreadLines.length, 0);
    client.close();
  });

  test('10,000 pipelined commands are answered in order', async () => {
    const client = await Client.connect(server.port);
    const count = 10_000;
    let batch = '';
    for (let i = 0; i < count; i++) {
      batch += i % 2 === 0 ? `PUT pipe-${i % 97} ${i}\n` : `GET pipe-${(i - 1) % 97}\n`;
    }
    client.write(batch);
    const replies = await client.readLines(count, 30_000);
    for (let i = 0; i < count; i++) {
      const expected = i % 2 === 0 ? ok : `{"status": "Ok", "result": "${i - 1}"}`;
      assert.equal(replies[i], expected, `reply ${i}`);
    }
    client.close();
  });

  test('input split at every byte position gives the same replies', async () => {
    // Each connection uses keys of its own (same length), so parallel runs cannot race.
    const scriptFor = (tag: number) => {
      const k = `split-${String(tag).padStart(4, '0')}`;
      return Buffer.from(
        `PUT ${k}-说 héllo wörld 😀\r\nGET ${k}-说\nSTART\nPUT ${k}-2 ünïcode\r\n` +
          `GET ${k}-2\nCOMMIT\nGET ${k}-2\nDEL ${k}-说\nGET ${k}-说\nBOGUS\n`,
      );
    };
    const script = scriptFor(0);
    const reference = await Client.connect(server.port);
    reference.write(script);
    const expected = await reference.readLines(10);
    reference.close();
    const stored = JSON.parse(expected[1] as string);
    assert.deepEqual(stored, { status: 'Ok', result: 'héllo wörld 😀' });

    // Every cut point, including inside each multi-byte character; a few connections at once.
    const cuts = Array.from({ length: script.length - 1 }, (_, i) => i + 1);
    const parallel = 8;
    for (let i = 0; i < cuts.length; i += parallel) {
      await Promise.all(
        cuts.slice(i, i + parallel).map(async (cut) => {
          const client = await Client.connect(server.port);
          const own = scriptFor(cut);
          client.write(own.subarray(0, cut));
          await sleep(5);
          client.write(own.subarray(cut));
          assert.deepEqual(await client.readLines(10), expected, `cut at byte ${cut}`);
          client.close();
        }),
      );
    }
  });

  test('input sent one byte at a time gives the same replies', async () => {
    const client = await Client.connect(server.port);
    const script = Buffer.from('PUT bytewise ✓ ok\nGET bytewise\n');
    for (const byte of script) {
      client.write(Buffer.from([byte]));
      await sleep(1);
    }
    assert.deepEqual(await client.readLines(2), [ok, '{"status": "Ok", "result": "✓ ok"}']);
    client.close();
  });

  test('a last command without a newline is answered when the client ends its input', async () => {
    const client = await Client.connect(server.port);
    client.write('PUT eoi value\n');
    assert.deepEqual(await client.readLines(1), [ok]);
    client.endInput('GET eoi');
    assert.deepEqual(await client.readLines(1), ['{"status": "Ok", "result": "value"}']);
    await client.whenClosed;
  });

  test('without legacy framing, an unterminated command waits for its newline', async () => {
    const client = await Client.connect(server.port);
    client.write('PING');
    await sleep(200);
    assert.equal(client.unreadLines.length, 0);
    client.write('\n');
    assert.deepEqual(await client.readLines(1), ['{"status": "Ok", "result": "PONG"}']);
    client.close();
  });
});

describe('legacy framing (--flush-unterminated-ms)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--shards', '1', '--flush-unterminated-ms', '50']);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('one command per write without a line ending is executed after the delay', async () => {
    const client = await Client.connect(server.port);
    client.write('PUT legacy value  \r');
    assert.deepEqual(await client.readLines(1), [ok]);
    client.write('GET legacy');
    assert.deepEqual(await client.readLines(1), ['{"status": "Ok", "result": "value"}']);
    client.write('PING\n');
    assert.deepEqual(await client.readLines(1), ['{"status": "Ok", "result": "PONG"}']);
    client.close();
  });

  test('an unterminated command read while a COMMIT was in flight is still flushed', async () => {
    const client = await Client.connect(server.port);
    client.write('START\nPUT legacy3 1\nCOMMIT\nGET legacy3');
    assert.deepEqual(await client.readLines(4), [ok, ok, ok, '{"status": "Ok", "result": "1"}']);
    client.close();
  });

  test('a command split across writes within the delay is still one command', async () => {
    const client = await Client.connect(server.port);
    client.write('PUT legacy2 a');
    await sleep(10);
    client.write('b c');
    assert.deepEqual(await client.readLines(1), [ok]);
    assert.deepEqual(await client.call('GET legacy2'), { status: 'Ok', result: 'ab c' });
    client.close();
  });
});
