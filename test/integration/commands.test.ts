/**
 * The commands of SPEC.md section 2 and the replies of section 3, over a real socket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { messages } from '../../src/protocol/messages.js';
import { Client } from '../support/client.js';
import { type RunningServer, startServer } from '../support/server-process.js';

const exampleSession: Array<[string, string]> = [
  ['PUT a 1', '{"status": "Ok"}'],
  ['GET a', '{"status": "Ok", "result": "1"}'],
  ['PUT most_popular_leader georgew', '{"status": "Ok"}'],
  ['START', '{"status": "Ok"}'],
  ['GET most_popular_leader', '{"status": "Ok", "result": "georgew"}'],
  [
    'PUT georgew {"first_name": "George", "last_name": "Washington", "role": "President"}',
    '{"status": "Ok"}',
  ],
  [
    'PUT winstonc {"first_name": "Winston", "last_name": "Churchill", "role": "Prime Minister"}',
    '{"status": "Ok"}',
  ],
  [
    'GET georgew',
    '{"status": "Ok", "result": "{\\"first_name\\": \\"George\\", \\"last_name\\": ' +
      '\\"Washington\\", \\"role\\": \\"President\\"}"}',
  ],
  ['COMMIT', '{"status": "Ok"}'],
  ['GET nobody', '{"status": "Error", "mesg": "Key not found!"}'],
  ['DEL a', '{"status": "Ok"}'],
  ['PUT   a    3 * 3 = 9 ', '{"status": "Ok"}'],
  ['GET a', '{"status": "Ok", "result": "3 * 3 = 9"}'],
];

describe('commands and replies', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--shards', '2']);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test("the spec's example session gets byte-for-byte the spec's replies", async () => {
    const client = await Client.connect(server.port);
    const received: string[] = [];
    client.socket.setEncoding('latin1');
    for (const [command] of exampleSession) {
      client.write(`${command}\r\n`);
      const [reply] = await client.readLines(1);
      received.push(reply as string);
    }
    // latin1 decoding shows the exact bytes: all of these replies are ASCII.
    assert.deepEqual(
      received,
      exampleSession.map(([, reply]) => reply),
    );
    client.close();
  });

  test('PUT keeps inner spaces of the value and drops trailing ones', async () => {
    const client = await Client.connect(server.port);
    assert.equal(await client.request('PUT   spaced    3 * 3 = 9 '), '{"status": "Ok"}');
    assert.equal(await client.request('GET spaced'), '{"status": "Ok", "result": "3 * 3 = 9"}');
    assert.equal(await client.request('PUT tabs \ta \t b\t '), '{"status": "Ok"}');
    assert.deepEqual(await client.call('GET tabs'), { status: 'Ok', result: 'a \t b' });
    client.close();
  });

  test('command words are case-insensitive and keys are case-sensitive', async () => {
    const client = await Client.connect(server.port);
    assert.equal(await client.request('put Case upper'), '{"status": "Ok"}');
    assert.equal(await client.request('pUt case lower'), '{"status": "Ok"}');
    assert.deepEqual(await client.call('get Case'), { status: 'Ok', result: 'upper' });
    assert.deepEqual(await client.call('GeT case'), { status: 'Ok', result: 'lower' });
    assert.equal(await client.request('del Case'), '{"status": "Ok"}');
    assert.deepEqual(await client.call('GET Case'), { status: 'Error', mesg: 'Key not found!' });
    assert.deepEqual(await client.call('GET case'), { status: 'Ok', result: 'lower' });
    client.close();
  });

  test('DEL answers Ok whether or not the key existed', async () => {
    const client = await Client.connect(server.port);
    assert.equal(await client.request('DEL never-existed'), '{"status": "Ok"}');
    await client.request('PUT gone x');
    assert.equal(await client.request('DEL gone'), '{"status": "Ok"}');
    assert.equal(await client.request('DEL gone'), '{"status": "Ok"}');
    assert.deepEqual(await client.call('GET gone'), { status: 'Error', mesg: 'Key not found!' });
    client.close();
  });

  test('PING answers PONG', async () => {
    const client = await Client.connect(server.port);
    assert.equal(await client.request('PING'), '{"status": "Ok", "result": "PONG"}');
    client.close();
  });

  test('QUIT answers Ok, closes, and runs nothing sent after it', async () => {
    const client = await Client.connect(server.port);
    client.write('PUT before-quit 1\nQUIT\nPUT after-quit 1\n');
    assert.deepEqual(await client.readLines(2), ['{"status": "Ok"}', '{"status": "Ok"}']);
    await client.whenClosed;
    assert.equal(client.unreadLines.length, 0);
    const other = await Client.connect(server.port);
    assert.deepEqual(await other.call('GET before-quit'), { status: 'Ok', result: '1' });
    assert.deepEqual(await other.call('GET after-quit'), {
      status: 'Error',
      mesg: 'Key not found!',
    });
    other.close();
  });

  test('every error of spec section 2 gets one Error reply and changes nothing', async () => {
    const client = await Client.connect(server.port);
    await client.request('PUT keep original');
    const cases: Array<[string, string]> = [
      ['GET', messages.takesOneKey('GET')],
      ['GET keep extra', messages.takesOneKey('GET')],
      ['DEL', messages.takesOneKey('DEL')],
      ['DEL keep extra', messages.takesOneKey('DEL')],
      ['PUT', messages.putNeedsValue],
      ['PUT keep', messages.putNeedsValue],
      ['PUT keep    ', messages.putNeedsValue],
      ['FOO keep', messages.unknownCommand('FOO')],
      ['START now', messages.startUsage],
      ['COMMIT', messages.noTransaction('COMMIT')],
      ['ROLLBACK', messages.noTransaction('ROLLBACK')],
      ['PING me', messages.takesNoArguments('PING')],
      ['DEBUG LOCKS', messages.debugDisabled],
    ];
    for (const [command, mesg] of cases) {
      assert.deepEqual(await client.call(command), { status: 'Error', mesg }, command);
    }
    assert.equal(await client.request('START'), '{"status": "Ok"}');
    assert.deepEqual(await client.call('START'), {
      status: 'Error',
      mesg: messages.transactionAlreadyOpen,
    });
    // The transaction stayed open: a buffered write is still committed.
    assert.equal(await client.request('PUT in-tx yes'), '{"status": "Ok"}');
    assert.equal(await client.request('COMMIT'), '{"status": "Ok"}');
    assert.deepEqual(await client.call('GET in-tx'), { status: 'Ok', result: 'yes' });
    assert.deepEqual(await client.call('GET keep'), { status: 'Ok', result: 'original' });
    client.close();
  });

  test('bytes that are not UTF-8 get an Error and nothing is stored', async () => {
    const client = await Client.connect(server.port);
    const invalid = [
      Buffer.concat([Buffer.from('PUT bad-value '), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
      Buffer.concat([Buffer.from('PUT '), Buffer.from([0xff]), Buffer.from(' v\n')]),
      Buffer.concat([Buffer.from('GET '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n')]),
      Buffer.concat([Buffer.from('DEL '), Buffer.from([0x80]), Buffer.from('\n')]),
    ];
    for (const line of invalid) {
      client.write(line);
      assert.deepEqual(JSON.parse((await client.readLines(1))[0] as string), {
        status: 'Error',
        mesg: messages.invalidUtf8,
      });
    }
    assert.deepEqual(await client.call('GET bad-value'), {
      status: 'Error',
      mesg: 'Key not found!',
    });
    client.close();
  });

  test('Unicode and characters that need escaping round-trip through JSON.parse', async () => {
    const client = await Client.connect(server.port);
    const values = [
      '说 the 说',
      '😀 emoji and é',
      'quote " backslash \\ slash /',
      'nul \u0000 bell \u0007 esc \u001b del \u007f',
      'separators \u2028 and \u2029',
      '{"json": ["in", "json"]}',
      '\u00a0nbsp\u3000ideographic space',
    ];
    for (const [i, value] of values.entries()) {
      assert.equal(await client.request(`PUT uni-${i} ${value}`), '{"status": "Ok"}');
      const reply = await client.request(`GET uni-${i}`);
      assert.deepEqual(JSON.parse(reply), { status: 'Ok', result: value });
      assert.ok(!reply.includes('\u2028') && !reply.includes('\u2029'), 'U+2028/9 are escaped');
      if (value.includes('说')) assert.ok(reply.includes('说'), 'CJK is sent as raw UTF-8');
    }
    assert.equal(await client.request('PUT 键 值'), '{"status": "Ok"}');
    assert.equal(await client.request('GET 键'), '{"status": "Ok", "result": "值"}');
    client.close();
  });

  test('a GET pipelined after a PUT of the same key sees that PUT', async () => {
    const client = await Client.connect(server.port);
    let batch = '';
    for (let i = 0; i < 200; i++) batch += `PUT seq ${i}\nGET seq\n`;
    client.write(batch);
    const replies = await client.readLines(400);
    for (let i = 0; i < 200; i++) {
      assert.equal(replies[2 * i + 1], `{"status": "Ok", "result": "${i}"}`);
    }
    client.close();
  });
});
