/**
 * Reads flags and `HAUS_*` environment variables into one frozen Config. A flag wins over its
 * variable, which wins over the default. Every value is checked here, at start-up, together
 * with the relations between limits, so the rest of the server can trust the Config.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatByteSize, parseByteSize } from './byte-size.js';
import {
  type Config,
  describeDefault,
  type LogLevel,
  logLevels,
  type OptionSpec,
  optionSpecs,
  replyBytesPerValueByteMax,
} from './options.js';

export type ConfigResult =
  | { kind: 'config'; config: Config }
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string };

type Env = Readonly<Record<string, string | undefined>>;

export function parseConfig(argv: readonly string[], env: Env): ConfigResult {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    return { kind: 'error', message: `${(error as Error).message}. See --help.` };
  }
  if (parsed.values.help === true) return { kind: 'help', text: helpText() };

  const config: Record<string, unknown> = {};
  const defaulted = new Set<keyof Config>();
  for (const spec of optionSpecs) {
    const flagValue = parsed.values[spec.flag];
    const envValue = env[spec.env];
    const given = flagValue ?? envValue;
    const origin = flagValue !== undefined ? `--${spec.flag}` : spec.env;
    if (given === undefined || given === '') {
      config[spec.key] = spec.defaultValue();
      defaulted.add(spec.key);
      continue;
    }
    const value = convert(spec, given);
    if (typeof value === 'object') {
      return { kind: 'error', message: `Invalid ${origin} '${String(given)}': ${value.accepted}.` };
    }
    config[spec.key] = value;
  }
  // A default must never make a given value invalid: a small --max-memory (or a small
  // container) lowers the transaction bytes default with it.
  if (defaulted.has('txBytesMax')) {
    config.txBytesMax = Math.min(config.txBytesMax as number, config.dataMemoryBytesMax as number);
  }
  const passwordError = readPasswordFile(config);
  if (passwordError !== null) return { kind: 'error', message: passwordError };
  const relationError = checkRelations(config as unknown as Config);
  if (relationError !== null) return { kind: 'error', message: relationError };
  // Sealed, not frozen: CONFIG SET changes the few settings that may change while serving
  // (src/config/config-set.ts; only those fields are writable in the Config type).
  return { kind: 'config', config: Object.seal(config as unknown as Config) };
}

function parseFlags(argv: readonly string[]) {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const spec of optionSpecs) {
    options[spec.flag] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  }
  return parseArgs({ args: [...argv], options, allowPositionals: false, strict: true });
}

interface Rejection {
  accepted: string;
}

/** A flag's value from text, checked as at start-up (CONFIG SET uses it too). */
export function convertOption(
  spec: OptionSpec,
  given: string,
): string | number | boolean | { accepted: string } {
  return convert(spec, given);
}

function convert(spec: OptionSpec, given: string | boolean): string | number | boolean | Rejection {
  const text = String(given);
  switch (spec.kind) {
    case 'string':
      return text;
    case 'boolean':
    case 'switch':
      if (given === true || /^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      return { accepted: spec.kind === 'switch' ? 'expected yes or no' : 'expected true or false' };
    case 'choice':
      return (spec.choices ?? []).includes(text)
        ? text
        : { accepted: `expected one of ${(spec.choices ?? []).join(', ')}` };
    case 'level':
      return (logLevels as readonly string[]).includes(text)
        ? (text as LogLevel)
        : { accepted: `expected one of ${logLevels.join(', ')}` };
    case 'integer':
      return checkRange(spec, /^-?\d+$/.test(text) ? Number(text) : null, String);
    case 'bytes':
      return checkRange(spec, parseByteSize(text), formatByteSize);
  }
}

function checkRange(
  spec: OptionSpec,
  value: number | null,
  show: (n: number) => string,
): number | Rejection {
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  const accepted =
    spec.kind === 'bytes'
      ? `expected a size such as 512mb or 2gb, from ${show(min)}` +
        (spec.max === undefined ? '' : ` to ${show(max)}`)
      : `expected a whole number from ${show(min)} to ${show(max)}`;
  if (value === null || !Number.isSafeInteger(value) || value < min || value > max) {
    return { accepted };
  }
  return value;
}

/** --password-file: the password is the file's text, a trailing newline dropped. */
function readPasswordFile(config: Record<string, unknown>): string | null {
  const file = config.passwordFile as string;
  if (file === '') return null;
  if (config.password !== '') return 'Give either --requirepass or --password-file, not both.';
  try {
    config.password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    return `Cannot read --password-file '${file}': ${(error as Error).message}.`;
  }
  if (config.password === '') return `--password-file '${file}' is empty.`;
  return null;
}

/** Relations between limits that no single value can break on its own. */
function checkRelations(config: Config): string | null {
  if (config.clientOutputSoftBytes > config.clientOutputHardBytes) {
    return (
      `--client-output-soft-bytes (${formatByteSize(config.clientOutputSoftBytes)}) must not ` +
      `exceed --client-output-hard-bytes (${formatByteSize(config.clientOutputHardBytes)}).`
    );
  }
  const largestReplyBytes = config.lineBytesMax * replyBytesPerValueByteMax;
  if (config.clientOutputHardBytes < largestReplyBytes) {
    return (
      `--client-output-hard-bytes (${formatByteSize(config.clientOutputHardBytes)}) must hold ` +
      `the largest reply, ${replyBytesPerValueByteMax}x --max-line-bytes ` +
      `(${formatByteSize(largestReplyBytes)}): raise it or lower --max-line-bytes.`
    );
  }
  if (config.tlsPort >= 0 && (config.tlsCertFile === '' || config.tlsKeyFile === '')) {
    return '--tls-port needs --tls-cert-file and --tls-key-file.';
  }
  if (config.tlsAuthClients && config.tlsCaFile === '') {
    return '--tls-auth-clients needs --tls-ca-file (the CA client certificates must chain to).';
  }
  if (config.port < 0 && config.tlsPort < 0) {
    return '--port -1 turns the plain port off: give --tls-port for clients to reach the server.';
  }
  if (config.txBytesMax > config.dataMemoryBytesMax) {
    return (
      `--max-tx-bytes (${formatByteSize(config.txBytesMax)}) must not exceed --max-memory ` +
      `(${formatByteSize(config.dataMemoryBytesMax)}).`
    );
  }
  return null;
}

export function helpText(): string {
  const lines = [
    'Usage: haus [options]',
    '',
    'Haus KV: an in-memory key/value cache server (telnet-friendly text protocol).',
    'Each option can also be set by its environment variable; a flag wins.',
    '',
  ];
  for (const spec of optionSpecs) {
    const value = spec.kind === 'boolean' ? '' : ' <value>';
    lines.push(`  --${spec.flag}${value}   (env ${spec.env}, default: ${describeDefault(spec)})`);
    lines.push(`      ${spec.description}`);
  }
  lines.push('  --help   Show this text and exit.');
  return `${lines.join('\n')}\n`;
}
