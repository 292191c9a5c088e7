/**
 * --max-line-bytes: an over-long line gets one Error, the rest of it is dropped as it arrives
 * (the server's memory does not grow with it), and the connection goes on. A large value under
 * the limit goes through the whole path intact.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { messages } from '../../src/protocol/messages.js';
import { errorReplyText } from '../../src/protocol/reply-format.js';
import { Client } from '../support/client.js';
import { rssBytes } from '../support/proc.js';
import { type RunningServer, startServer } from '../support/server-process.js';

const mib = 1024 * 1024;
let server: RunningServer;

before(async () => {
  server = await startServer(['--max-line-bytes', '12mb', '--shards', '2']);
});
after(async () => {
  await server.stop();
});

test('an over-long line gets one error and the next line still works', async () => {
  const client = await Client.connect(server.port);
  client.write(`PUT k ${'v'.repeat(12 * mib)}\nPING\n`);
  const lines = await client.readLines(2);
  assert.equal(`${lines[0]}\n`, errorReplyText(messages.lineTooLong(12 * mib)));
  assert.equal(lines[1], '{"status": "Ok", "result": "PONG"}');
  assert.deepEqual(await client.call('GET k'), { status: 'Error', mesg: 'Key not found!' });
  client.close();
});

test('the error comes as soon as the limit is passed, before the line ends', async () => {
  const client = await Client.connect(server.port);
  client.write(`PUT k ${'v'.repeat(12 * mib + 10)}`);
  const [reply] = await client.readLines(1);
  assert.equal(JSON.parse(reply as string).status, 'Error');
  client.write('still the same line\nPING\n');
  assert.deepEqual(await client.readLines(1), ['{"status": "Ok", "result": "PONG"}']);
  client.close();
});

test('a 200 MiB line is dropped as it arrives: server memory stays bounded', async () => {
  const client = await Client.connect(server.port);
  const baseline = rssBytes(server.child.pid as number);
  const chunk = Buffer.alloc(mib, 0x61);
  let peak = baseline;
  for (let i = 0; i < 200; i++) {
    if (!client.socket.write(chunk)) await new Promise((r) => client.socket.once('drain', r));
    if (i % 10 === 0) peak = Math.max(peak, rssBytes(server.child.pid as number));
  }
  client.write('\nPING\n');
  const lines = await client.readLines(2);
  assert.equal(JSON.parse(lines[0] as string).status, 'Error');
  assert.equal(lines[1], '{"status": "Ok", "result": "PONG"}');
  peak = Math.max(peak, rssBytes(server.child.pid as number));
  // One line limit (12 MiB) plus socket buffers and garbage; 200 MiB sent.
  assert.ok(peak - baseline < 64 * mib, `RSS grew by ${(peak - baseline) / mib} MiB`);
  client.close();
});

test('a PUT of a 10 MiB value is stored and read back whole', async () => {
  const client = await Client.connect(server.port);
  const value = 'abcdefghij'.repeat(mib);
  assert.deepEqual(await client.call(`PUT big ${value}`), { status: 'Ok' });
  const reply = await client.call('GET big');
  assert.equal(reply.status, 'Ok');
  assert.equal(reply.result?.length, value.length);
  assert.ok(reply.result === value);
  const other = await Client.connect(server.port);
  assert.deepEqual(await other.call('PING'), { status: 'Ok', result: 'PONG' });
  other.close();
  client.close();
});
