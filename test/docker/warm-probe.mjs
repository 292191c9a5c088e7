// Writes or reads one key over the line protocol, for e2e.sh's warm restart check: a key PUT
// before `docker-compose restart haus` must come back after it (the compose file keeps
// snapshots in a named volume).
//
//   node test/docker/warm-probe.mjs --port 9888 --put KEY VALUE
//   node test/docker/warm-probe.mjs --port 9888 --get KEY VALUE    (exit 1 unless GET gives VALUE)
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values: options, positionals } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    put: { type: 'boolean', default: false },
    get: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const [key, value] = positionals;
if (key === undefined || value === undefined || options.put === options.get) {
  console.error('warm-probe: give --put or --get, a key and a value');
  process.exit(2);
}
const expected = options.put
  ? '{"status": "Ok"}'
  : `{"status": "Ok", "result": ${JSON.stringify(value)}}`;
const socket = connect({ host: options.host, port: Number(options.port) });
socket.setEncoding('utf8');
const timer = setTimeout(() => {
  console.error('warm-probe: no reply within 5 s');
  process.exit(1);
}, 5000);
let buffered = '';
socket.on('connect', () => socket.write(options.put ? `PUT ${key} ${value}\n` : `GET ${key}\n`));
socket.on('data', (chunk) => {
  buffered += chunk;
  const end = buffered.indexOf('\n');
  if (end === -1) return;
  const reply = buffered.slice(0, end);
  clearTimeout(timer);
  socket.destroy();
  if (reply !== expected) {
    console.error(
      `warm-probe: ${options.put ? 'PUT' : 'GET'} ${key} answered ${reply}, want ${expected}`,
    );
    process.exit(1);
  }
});
socket.on('error', (error) => {
  console.error(`warm-probe: ${error.message}`);
  process.exit(1);
});
