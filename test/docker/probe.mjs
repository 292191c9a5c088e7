// Talks to a running Haus server over TCP the way a client would and checks each reply byte for
// byte. e2e.sh runs it against the container's published port, so it proves the image serves the
// protocol through Docker's port publishing, not only that the process started.
//
//   node test/docker/probe.mjs --host 127.0.0.1 --port 9888
//
// Keys carry a per-run prefix, so the probe can run again against a server that keeps its data.
// Exit 0 when every reply matched; exit 1 naming the first command whose reply did not.
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const replyTimeoutMs = 5000;

const { values: options } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
  },
});
const port = Number(options.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`probe: --port must be a TCP port number, got '${options.port}'`);
  process.exit(2);
}

const ok = '{"status": "Ok"}';
const notFound = '{"status": "Error", "mesg": "Key not found!"}';
const found = (value) => `{"status": "Ok", "result": ${JSON.stringify(value)}}`;
const prefix = `e2e:${process.pid}:${Date.now()}`;
const georgew = '{"first_name": "George", "last_name": "Washington", "role": "President"}';

/** One connection; `send` writes a line and resolves with the next reply line. */
function openClient(name) {
  const socket = connect({ host: options.host, port });
  socket.setEncoding('utf8');
  const waiting = [];
  let buffered = '';
  let failure = null;
  const fail = (error) => {
    failure = failure ?? error;
    for (const { reject } of waiting.splice(0)) reject(failure);
  };
  socket.on('data', (chunk) => {
    buffered += chunk;
    let end = buffered.indexOf('\n');
    while (end !== -1) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      const next = waiting.shift();
      if (next === undefined) fail(new Error(`${name}: reply nobody asked for: ${line}`));
      else next.resolve(line);
      end = buffered.indexOf('\n');
    }
  });
  socket.on('error', (error) => fail(new Error(`${name}: ${error.message}`)));
  socket.on('close', () => fail(new Error(`${name}: the server closed the connection`)));
  const connected = new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    async send(line) {
      await connected;
      if (failure !== null) throw failure;
      const reply = new Promise((resolve, reject) => waiting.push({ resolve, reject }));
      socket.write(`${line}\n`);
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${name}: no reply to '${line}' within ${replyTimeoutMs} ms`)),
          replyTimeoutMs,
        );
      });
      try {
        return await Promise.race([reply, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      socket.removeAllListeners('close');
      socket.destroy();
    },
  };
}

let checked = 0;
async function expectReply(client, line, expected) {
  const reply = await client.send(line);
  if (reply !== expected) {
    throw new Error(`sent '${line}'\n  expected ${expected}\n  received ${reply}`);
  }
  checked += 1;
}

const first = openClient('client 1');
const second = openClient('client 2');
try {
  await expectReply(first, 'PING', '{"status": "Ok", "result": "PONG"}');
  await expectReply(first, `PUT ${prefix}:a hello docker`, ok);
  await expectReply(first, `GET ${prefix}:a`, found('hello docker'));
  await expectReply(first, `PUT ${prefix}:utf8 说 ünïcode`, ok);
  await expectReply(first, `GET ${prefix}:utf8`, found('说 ünïcode'));
  // A transaction: nothing is visible to another client before COMMIT, all of it after.
  await expectReply(first, 'START', ok);
  await expectReply(first, `PUT ${prefix}:georgew ${georgew}`, ok);
  await expectReply(first, `PUT ${prefix}:leader georgew`, ok);
  await expectReply(second, `GET ${prefix}:leader`, notFound);
  await expectReply(first, 'COMMIT', ok);
  await expectReply(second, `GET ${prefix}:leader`, found('georgew'));
  await expectReply(second, `GET ${prefix}:georgew`, found(georgew));
  console.log(`probe: ${checked} replies matched on ${options.host}:${port}`);
} catch (error) {
  console.error(`probe: ${error.message}`);
  process.exitCode = 1;
} finally {
  first.close();
  second.close();
}
