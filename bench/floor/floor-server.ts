/**
 * The floor: the least a Node server can do for the line protocol's GET/PUT/START/COMMIT on one
 * thread with one Map (no shards, no limits, no checks, no escaping). What it reaches against
 * Redis with the C load generator bounds what Haus, which does all of that and hops to shard
 * threads, can reach on this machine: its per-request cost is Node's socket read and write.
 *
 *   node dist/bench/floor/floor-server.js [port]   (then ../shared/loadgen against it)
 */
import { createServer } from 'node:net';

const port = Number(process.argv[2] ?? 9897);
const store = new Map<string, string>();
const ok = '{"status": "Ok"}\n';
const miss = '{"status": "Error", "mesg": "Key not found!"}\n';

createServer((socket) => {
  socket.setNoDelay(true);
  let pending = '';
  let tx: Array<[string, string]> | null = null;
  socket.on('data', (chunk: Buffer) => {
    const text = pending + chunk.toString('latin1');
    let out = '';
    let at = 0;
    for (let nl = text.indexOf('\n', at); nl !== -1; nl = text.indexOf('\n', at)) {
      const line = text.slice(at, text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      at = nl + 1;
      const space = line.indexOf(' ');
      const verb = space === -1 ? line : line.slice(0, space);
      if (verb === 'GET') {
        const value = store.get(line.slice(space + 1));
        out += value === undefined ? miss : `{"status": "Ok", "result": "${value}"}\n`;
      } else if (verb === 'PUT') {
        const second = line.indexOf(' ', space + 1);
        const key = line.slice(space + 1, second);
        const value = line.slice(second + 1);
        if (tx === null) store.set(key, value);
        else tx.push([key, value]);
        out += ok;
      } else if (verb === 'START') {
        tx = [];
        out += ok;
      } else if (verb === 'COMMIT') {
        for (const [key, value] of tx ?? []) store.set(key, value);
        tx = null;
        out += ok;
      } else {
        out += '{"status": "Error", "mesg": "Unknown command"}\n';
      }
    }
    pending = text.slice(at);
    if (out.length > 0) socket.write(out, 'latin1');
  });
  socket.on('error', () => {});
}).listen(port, '127.0.0.1');
