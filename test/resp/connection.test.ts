/**
 * Connection and server commands over RESP (SPEC.md section 7): PING, ECHO, QUIT, HELLO and
 * RESP3, CLIENT, RESET, and what clients and redis-cli ask a server at start-up (COMMAND, INFO,
 * CONFIG GET, TIME, DBSIZE). Server-specific values (version, ids, counts) are checked for their
 * type and shape; everything else against Redis 7.0's exact replies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  error,
  OK,
  PONG,
  QUEUED,
  type Reply,
  RespClient,
  Simple,
  simple,
  Verbatim,
} from '../support/resp-client.js';
import { describeOnTargets } from '../support/targets.js';

const helloFields = ['server', 'version', 'proto', 'id', 'mode', 'role', 'modules'];

/** The text of a bulk string (RESP2) or verbatim string (RESP3) reply. */
function textOf(reply: Reply): string {
  if (reply instanceof Verbatim) return reply.text;
  assert.equal(typeof reply, 'string', `expected a bulk string, got ${String(reply)}`);
  return reply as string;
}

/** `field:value` lines of an INFO reply, which Redis ends with CRLF. */
function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** `field=value` pairs of one CLIENT INFO / CLIENT LIST line. */
function clientFields(line: string): Map<string, string> {
  return new Map(
    line
      .trim()
      .split(' ')
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

describeOnTargets('connection and server commands over RESP', {}, (ctx) => {
  /** A fresh connection for a test that changes connection state. */
  async function withClient(run: (client: RespClient) => Promise<void>): Promise<void> {
    const client = await RespClient.connect(ctx.target.port);
    try {
      await run(client);
    } finally {
      client.close();
    }
  }

  test('PING answers +PONG, and with an argument that argument as a bulk string', async () => {
    assert.equal(await ctx.client.callRaw('PING'), '+PONG\r\n');
    assert.equal(await ctx.client.callRaw('ping', 'hello world'), '$11\r\nhello world\r\n');
    assert.deepEqual(
      await ctx.client.call('PING', 'a', 'b'),
      error("ERR wrong number of arguments for 'ping' command"),
    );
  });

  test('ECHO answers its argument as a bulk string', async () => {
    assert.equal(await ctx.client.callRaw('ECHO', 'Hello'), '$5\r\nHello\r\n');
    assert.equal(await ctx.client.callRaw('ECHO', ''), '$0\r\n\r\n');
    assert.deepEqual(
      await ctx.client.call('ECHO'),
      error("ERR wrong number of arguments for 'echo' command"),
    );
  });

  test('QUIT answers +OK and closes; commands sent after it are not executed', async () => {
    const client = await RespClient.connect(ctx.target.port);
    client.write(
      Buffer.concat([
        Buffer.from('*1\r\n$4\r\nQUIT\r\n'),
        Buffer.from('*3\r\n$3\r\nSET\r\n$13\r\nconn:quit:key\r\n$5\r\nafter\r\n'),
      ]),
    );
    assert.deepEqual(await client.read(), OK);
    assert.ok(await client.closesWithin(), 'the server closed the connection');
    assert.equal(client.unreadReplies, 0);
    assert.equal(await ctx.client.call('EXISTS', 'conn:quit:key'), 0);
  });

  test('AUTH without a configured password: one argument is refused, default user is accepted', async () => {
    await withClient(async (client) => {
      assert.deepEqual(
        await client.call('AUTH', 'secret'),
        error(
          'ERR AUTH <password> called without any password configured for the default user. ' +
            'Are you sure your configuration is correct?',
        ),
      );
      // Redis's default user has `nopass`: any password is accepted for it.
      assert.deepEqual(await client.call('AUTH', 'default', 'secret'), OK);
      assert.deepEqual(
        await client.call('AUTH'),
        error("ERR wrong number of arguments for 'auth' command"),
      );
      assert.deepEqual(await client.call('PING'), PONG);
    });
  });

  test('HELLO without a version answers the server map in the current protocol', async () => {
    await withClient(async (client) => {
      const reply = await client.call('HELLO');
      assert.ok(Array.isArray(reply), 'RESP2: a flat array of field, value pairs');
      assert.equal(reply.length, helloFields.length * 2);
      const fields = new Map<Reply, Reply>();
      for (let i = 0; i < reply.length; i += 2)
        fields.set(reply[i] as Reply, reply[i + 1] as Reply);
      assert.deepEqual([...fields.keys()], helloFields);
      assert.equal(fields.get('proto'), 2);
      assert.equal(fields.get('id'), await client.call('CLIENT', 'ID'));
    });
  });

  test('HELLO 3 switches to RESP3 and answers a map of the server fields', async () => {
    await withClient(async (client) => {
      const raw = await client.callRaw('HELLO', '3');
      assert.ok(raw.startsWith('%7\r\n'), `a RESP3 map of 7 fields: ${raw}`);
      const reply = await client.call('HELLO');
      assert.ok(reply instanceof Map, 'HELLO again answers a map: the connection is RESP3');
      assert.deepEqual([...reply.keys()], helloFields);
      assert.equal(typeof reply.get('server'), 'string');
      assert.match(reply.get('version') as string, /^\d+\.\d+\.\d+/);
      assert.equal(reply.get('proto'), 3);
      assert.equal(reply.get('id'), await client.call('CLIENT', 'ID'));
      assert.equal(reply.get('mode'), 'standalone');
      assert.equal(reply.get('role'), 'master');
      assert.deepEqual(reply.get('modules'), []);
    });
  });

  test("RESP3 replies use RESP3's types: null, map and verbatim string", async () => {
    await withClient(async (client) => {
      await client.call('HELLO', '3');
      await client.call('SET', 'conn:resp3:a', '1');
      assert.equal(await client.callRaw('GET', 'conn:resp3:missing'), '_\r\n');
      assert.equal(
        await client.callRaw('MGET', 'conn:resp3:a', 'conn:resp3:missing'),
        '*2\r\n$1\r\n1\r\n_\r\n',
      );
      assert.equal(await client.callRaw('CLIENT', 'GETNAME'), '_\r\n');
      assert.equal(await client.callRaw('SET', 'conn:resp3:a', '2', 'NX'), '_\r\n');
      const config = await client.call('CONFIG', 'GET', 'maxmemory');
      assert.ok(config instanceof Map, 'CONFIG GET answers a map');
      assert.deepEqual([...config.keys()], ['maxmemory']);
      const info = await client.call('INFO');
      assert.ok(info instanceof Verbatim, 'INFO answers a verbatim string');
      assert.equal(info.format, 'txt');
      assert.equal(infoFields(info.text).get('loading'), '0');
      assert.deepEqual(await client.call('PING'), PONG);
      assert.equal(await client.call('INCR', 'conn:resp3:a'), 2);
      // HELLO 2 goes back to RESP2.
      assert.ok(Array.isArray(await client.call('HELLO', '2')));
      assert.equal(await client.callRaw('GET', 'conn:resp3:missing'), '$-1\r\n');
    });
  });

  test('HELLO with an unsupported or malformed version is refused', async () => {
    await withClient(async (client) => {
      assert.deepEqual(
        await client.call('HELLO', '4'),
        error('NOPROTO unsupported protocol version'),
      );
      assert.deepEqual(
        await client.call('HELLO', '1'),
        error('NOPROTO unsupported protocol version'),
      );
      assert.deepEqual(
        await client.call('HELLO', 'three'),
        error('ERR Protocol version is not an integer or out of range'),
      );
      assert.equal(await client.callRaw('GET', 'conn:hello:missing'), '$-1\r\n');
    });
  });

  test('HELLO 3 SETNAME names the connection', async () => {
    await withClient(async (client) => {
      const reply = await client.call('HELLO', '3', 'SETNAME', 'hello-named');
      assert.ok(reply instanceof Map);
      assert.equal(await client.call('CLIENT', 'GETNAME'), 'hello-named');
    });
  });

  test('CLIENT SETNAME and GETNAME; an empty name clears it; spaces are refused', async () => {
    await withClient(async (client) => {
      assert.equal(await client.callRaw('CLIENT', 'GETNAME'), '$-1\r\n');
      assert.deepEqual(await client.call('CLIENT', 'SETNAME', 'worker-1'), OK);
      assert.equal(await client.call('CLIENT', 'GETNAME'), 'worker-1');
      const badName = error(
        'ERR Client names cannot contain spaces, newlines or special characters.',
      );
      assert.deepEqual(await client.call('CLIENT', 'SETNAME', 'two words'), badName);
      assert.deepEqual(await client.call('CLIENT', 'SETNAME', 'a\nb'), badName);
      assert.equal(await client.call('CLIENT', 'GETNAME'), 'worker-1');
      assert.deepEqual(await client.call('CLIENT', 'SETNAME', ''), OK);
      assert.equal(await client.call('CLIENT', 'GETNAME'), null);
    });
  });

  test('CLIENT ID is an integer distinct per connection, shown by CLIENT INFO and LIST', async () => {
    await withClient(async (client) => {
      const id = await client.call('CLIENT', 'ID');
      assert.equal(typeof id, 'number');
      assert.notEqual(id, await ctx.client.call('CLIENT', 'ID'));
      await client.call('CLIENT', 'SETNAME', 'listed');
      const info = clientFields(textOf(await client.call('CLIENT', 'INFO')));
      assert.equal(info.get('id'), String(id));
      assert.equal(info.get('name'), 'listed');
      assert.ok(info.has('addr'));
      const list = textOf(await ctx.client.call('CLIENT', 'LIST'));
      assert.ok(list.endsWith('\n'), 'one line per client, each ending in \\n');
      const lines = list.trimEnd().split('\n').map(clientFields);
      const mine = lines.find((fields) => fields.get('id') === String(id));
      assert.ok(mine !== undefined, `CLIENT LIST shows the connection: ${list}`);
      assert.equal(mine.get('name'), 'listed');
      assert.ok(lines.length >= 2);
    });
  });

  test('CLIENT with an unknown subcommand is refused; SETINFO is what the server version has', async () => {
    assert.deepEqual(
      await ctx.client.call('CLIENT', 'NOSUCH'),
      error("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."),
    );
    const version = infoFields(textOf(await ctx.client.call('INFO', 'server'))).get(
      'redis_version',
    );
    const [major, minor] = (version ?? '0.0').split('.').map(Number) as [number, number];
    const hasSetinfo = ctx.kind === 'haus' || major > 7 || (major === 7 && minor >= 2);
    const setinfo = await ctx.client.call('CLIENT', 'SETINFO', 'LIB-NAME', 'haus-tests');
    if (hasSetinfo) {
      // SPEC.md section 7 lists CLIENT SETINFO (Redis 7.2; node-redis sends it at connect).
      assert.deepEqual(setinfo, OK);
      assert.deepEqual(await ctx.client.call('CLIENT', 'SETINFO', 'LIB-VER', '1.0.0'), OK);
    } else {
      // Redis 7.0 has no CLIENT SETINFO.
      assert.deepEqual(setinfo, error("ERR unknown subcommand 'SETINFO'. Try CLIENT HELP."));
    }
  });

  test('RESET answers +RESET and returns the connection to its initial state', async () => {
    await withClient(async (client) => {
      await client.call('HELLO', '3');
      await client.call('CLIENT', 'SETNAME', 'before-reset');
      assert.deepEqual(await client.call('WATCH', 'conn:reset:watched'), OK);
      assert.deepEqual(await client.call('MULTI'), OK);
      assert.deepEqual(await client.call('SET', 'conn:reset:queued', 'x'), QUEUED);
      assert.equal(await client.callRaw('RESET'), '+RESET\r\n');
      assert.equal(await client.callRaw('GET', 'conn:reset:missing'), '$-1\r\n', 'RESP2');
      assert.equal(await client.call('CLIENT', 'GETNAME'), null);
      assert.deepEqual(await client.call('EXEC'), error('ERR EXEC without MULTI'));
      assert.equal(await client.call('EXISTS', 'conn:reset:queued'), 0);
    });
  });

  test('COMMAND COUNT answers an integer', async () => {
    const count = await ctx.client.call('COMMAND', 'COUNT');
    assert.equal(typeof count, 'number');
    assert.ok((count as number) >= 40, `at least the commands of SPEC section 7: ${count}`);
  });

  test("COMMAND INFO answers each command's name, arity, flags and key positions", async () => {
    const reply = await ctx.client.call('COMMAND', 'INFO', 'get', 'SET', 'nosuchcommand');
    assert.ok(Array.isArray(reply) && reply.length === 3);
    const [get, set, missing] = reply as [Reply[], Reply[], Reply];
    assert.deepEqual(get.slice(0, 2), ['get', 2]);
    const flags = get[2] as Reply[];
    assert.ok(Array.isArray(flags), 'flags are an array of simple strings');
    assert.ok(flags.every((flag) => flag instanceof Simple));
    assert.ok(
      flags.some((flag) => (flag as Simple).value === 'readonly'),
      'GET is readonly',
    );
    assert.deepEqual(get.slice(3, 6), [1, 1, 1], 'first key, last key, step');
    assert.deepEqual(set.slice(0, 2), ['set', -3]);
    assert.deepEqual(set.slice(3, 6), [1, 1, 1]);
    assert.equal(missing, null);
  });

  test('COMMAND DOCS answers name and docs pairs (what redis-cli reads for its hints)', async () => {
    const reply = await ctx.client.call('COMMAND', 'DOCS', 'get');
    assert.ok(Array.isArray(reply), 'RESP2: an array of name, docs pairs');
    // Redis answers the docs of GET; an empty array only loses redis-cli its hints, so the
    // shape is what is checked here.
    if (reply.length > 0) {
      assert.equal(reply.length, 2);
      assert.equal(reply[0], 'get');
      const docs = reply[1] as Reply[];
      assert.ok(Array.isArray(docs) && docs.length % 2 === 0, 'docs: field, value pairs');
      const summaryAt = docs.indexOf('summary');
      assert.ok(summaryAt >= 0 && typeof docs[summaryAt + 1] === 'string', 'has a summary');
    }
    assert.deepEqual(await ctx.client.call('COMMAND', 'DOCS', 'nosuchcommand'), []);
  });

  test('INFO answers a bulk string with redis_version and loading:0', async () => {
    const raw = await ctx.client.callRaw('INFO');
    assert.ok(raw.startsWith('$'), 'a bulk string');
    const fields = infoFields(textOf(await ctx.client.call('INFO')));
    assert.match(fields.get('redis_version') ?? '', /^\d+\.\d+\.\d+$/);
    assert.equal(fields.get('loading'), '0');
    const server = textOf(await ctx.client.call('INFO', 'server'));
    assert.ok(server.startsWith('# Server\r\n'), server.slice(0, 40));
    assert.ok(infoFields(server).has('redis_version'));
  });

  test('INFO keyspace shows db0 with its key count once a key exists', async () => {
    await ctx.client.call('SET', 'conn:info:a', '1');
    const keyspace = infoFields(textOf(await ctx.client.call('INFO', 'keyspace')));
    assert.match(keyspace.get('db0') ?? '', /^keys=\d+,expires=\d+,avg_ttl=\d+$/);
  });

  test('TIME answers seconds and microseconds as two bulk strings', async () => {
    const reply = await ctx.client.call('TIME');
    assert.ok(Array.isArray(reply) && reply.length === 2);
    const [seconds, micros] = reply as [string, string];
    assert.match(seconds, /^\d+$/);
    assert.match(micros, /^\d+$/);
    assert.ok(Number(micros) < 1_000_000);
    assert.ok(Math.abs(Number(seconds) - Date.now() / 1000) < 5, 'the same clock as ours');
  });

  test('CONFIG GET maxmemory answers the name and value pair', async () => {
    const reply = await ctx.client.call('CONFIG', 'GET', 'maxmemory');
    assert.ok(Array.isArray(reply) && reply.length === 2, String(reply));
    assert.equal(reply[0], 'maxmemory');
    assert.match(reply[1] as string, /^\d+$/);
    assert.deepEqual(await ctx.client.call('CONFIG', 'GET', 'no-such-setting'), []);
    assert.deepEqual(
      await ctx.client.call('CONFIG', 'GET'),
      error("ERR wrong number of arguments for 'config|get' command"),
    );
  });

  test('DBSIZE answers an integer that follows writes', async () => {
    const before = await ctx.client.call('DBSIZE');
    assert.equal(typeof before, 'number');
    await ctx.client.call('SET', 'conn:dbsize:new', '1');
    assert.equal(await ctx.client.call('DBSIZE'), (before as number) + 1);
    await ctx.client.call('DEL', 'conn:dbsize:new');
    assert.equal(await ctx.client.call('DBSIZE'), before);
    assert.deepEqual(await ctx.client.call('SELECT', '0'), OK);
    assert.deepEqual(await ctx.client.call('ECHO', 'still here'), 'still here');
    assert.deepEqual(await ctx.client.call('PING'), simple('PONG'));
  });
});
