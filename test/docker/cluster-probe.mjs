// A round trip through the compose profile `cluster`'s proxy: RESP to twemproxy's published
// port, which shards the keys over the three Haus servers behind it. e2e.sh runs it, then asks
// each server directly how many keys it holds.
//
//   node test/docker/cluster-probe.mjs --host 127.0.0.1 --port 22121 [--password PW] [--keys N]
//
// Writes N keys (default 300, even) with a per-run prefix, reads each back, reads them all in
// one MGET (which the proxy splits per server and joins again), deletes half with one DEL (the
// other half stays, for e2e.sh to find on every server), and checks every reply exactly.
// Exit 0 when all matched; exit 1 naming the first that did not.
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const replyTimeoutMs = 10_000;

const { values: options } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    password: { type: 'string', default: '' },
    keys: { type: 'string', default: '300' },
  },
});
const port = Number(options.port);
const keyCount = Number(options.keys);
if (!Number.isInteger(keyCount) || keyCount < 2 || keyCount % 2 !== 0) {
  console.error(`cluster-probe: --keys must be an even number >= 2, got '${options.keys}'`);
  process.exit(2);
}
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`cluster-probe: --port must be a TCP port number, got '${options.port}'`);
  process.exit(2);
}

/** A request in RESP's multibulk form. */
function encode(args) {
  let text = `*${args.length}\r\n`;
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return text;
}

/** Parses one reply at `at`: { value, end }, or null when more bytes are needed. Errors come
 * back as `-message` strings, simple strings as `+text`, integers as numbers. */
function parse(buffer, at) {
  const lineEnd = buffer.indexOf('\r\n', at);
  if (lineEnd === -1) return null;
  const type = buffer[at];
  const line = buffer.slice(at + 1, lineEnd);
  const next = lineEnd + 2;
  if (type === '+' || type === '-') return { value: `${type}${line}`, end: next };
  if (type === ':') return { value: Number(line), end: next };
  if (type === '$') {
    const length = Number(line);
    if (length === -1) return { value: null, end: next };
    if (buffer.length < next + length + 2) return null;
    return { value: buffer.slice(next, next + length), end: next + length + 2 };
  }
  if (type === '*') {
    const items = [];
    let position = next;
    for (let i = 0; i < Number(line); i++) {
      const item = parse(buffer, position);
      if (item === null) return null;
      items.push(item.value);
      position = item.end;
    }
    return { value: items, end: position };
  }
  throw new Error(`not a RESP reply: ${JSON.stringify(buffer.slice(at, at + 80))}`);
}

/** One connection; `call` pipelines commands and resolves with their replies. Keys and values
 * are ASCII, so the reply text can be parsed as a string. */
function openClient() {
  const socket = connect({ host: options.host, port });
  socket.setEncoding('latin1');
  let buffered = '';
  const waiting = [];
  let failure = null;
  const fail = (error) => {
    failure = failure ?? error;
    for (const { reject } of waiting.splice(0)) reject(failure);
  };
  socket.on('data', (chunk) => {
    buffered += chunk;
    try {
      for (;;) {
        const parsed = parse(buffered, 0);
        if (parsed === null) break;
        buffered = buffered.slice(parsed.end);
        const next = waiting.shift();
        if (next === undefined) throw new Error(`a reply nobody asked for: ${parsed.value}`);
        next.resolve(parsed.value);
      }
    } catch (error) {
      fail(error);
    }
  });
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the proxy closed the connection')));
  const one = () =>
    new Promise((resolve, reject) => {
      if (failure !== null) return reject(failure);
      const timer = setTimeout(() => fail(new Error('no reply in time')), replyTimeoutMs);
      waiting.push({
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  return {
    call(commands) {
      socket.write(commands.map(encode).join(''));
      return Promise.all(commands.map(one));
    },
    close: () => socket.destroy(),
  };
}

function expect(what, got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

const client = openClient();
try {
  if (options.password !== '') {
    expect('AUTH', await client.call([['AUTH', options.password]]), ['+OK']);
  }
  const prefix = `cluster-probe:${process.pid}:${Date.now()}`;
  const keys = Array.from({ length: keyCount }, (_, i) => `${prefix}:${i}`);
  const value = (key) => `value of ${key}`;
  expect('PING', await client.call([['PING']]), ['+PONG']);
  expect(
    `SET of ${keyCount} keys`,
    await client.call(keys.map((key) => ['SET', key, value(key)])),
    keys.map(() => '+OK'),
  );
  expect(
    `GET of ${keyCount} keys`,
    await client.call(keys.map((key) => ['GET', key])),
    keys.map(value),
  );
  expect('MGET across the servers', await client.call([['MGET', ...keys, `${prefix}:missing`]]), [
    [...keys.map(value), null],
  ]);
  const deleted = keys.slice(0, keyCount / 2);
  expect('DEL across the servers', await client.call([['DEL', ...deleted]]), [deleted.length]);
  expect('GET after DEL', await client.call([['GET', keys[0]]]), [null]);
  console.log(
    `cluster-probe: ${keyCount} keys written and read through the proxy, one MGET, one DEL of ` +
      `${deleted.length}; ${keyCount - deleted.length} keys left for e2e.sh to find on the servers`,
  );
} catch (error) {
  console.error(`cluster-probe: ${error.message}`);
  process.exitCode = 1;
} finally {
  client.close();
}
