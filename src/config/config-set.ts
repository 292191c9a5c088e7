/**
 * CONFIG SET for the settings that are flags and may change while the server runs, under
 * Redis's names (SPEC.md section 7). The value is checked by the flag's own rules; anything
 * else is refused with Redis's wording: unknown names, and settings fixed at start (ports,
 * addresses, shard count, TLS files).
 */
import type { Config, OptionSpec } from './options.js';
import { optionSpecs } from './options.js';
import { convertOption } from './parse-config.js';

/** What changes besides the Config object itself when a setting moves. */
export interface LiveSettings {
  config: Config;
  setMemoryLimit(bytes: number): void;
  setPassword(password: string): void;
}

interface Settable {
  flag: string;
  /** Redis's value (seconds for timeout) to the flag's text. */
  toFlagText?: (value: string) => string;
  apply(settings: LiveSettings, value: number | string | boolean): void;
}

const settable: Record<string, Settable> = {
  maxclients: {
    flag: 'max-clients',
    apply: (settings, value) => {
      settings.config.clientsMax = value as number;
    },
  },
  timeout: {
    flag: 'idle-timeout-ms',
    toFlagText: (seconds) => (/^\d+$/.test(seconds) ? String(Number(seconds) * 1000) : seconds),
    apply: (settings, value) => {
      settings.config.idleTimeoutMs = value as number;
    },
  },
  maxmemory: {
    flag: 'max-memory',
    apply: (settings, value) => settings.setMemoryLimit(value as number),
  },
  requirepass: {
    flag: 'requirepass',
    apply: (settings, value) => settings.setPassword(value as string),
  },
};

/** Settings Redis has that Haus takes only at start. */
const fixedAtStart = new Set([
  'port',
  'bind',
  'tls-port',
  'tls-cert-file',
  'tls-key-file',
  'tls-ca-file',
  'tls-auth-clients',
  'databases',
  'proto-max-bulk-len',
]);

/** Applies `name value`; returns null, or the error text to reply (without its `-`). */
export function configSet(settings: LiveSettings, name: string, value: string): string | null {
  const lower = name.toLowerCase();
  const entry = settable[lower];
  if (entry === undefined) {
    if (fixedAtStart.has(lower)) {
      return `ERR CONFIG SET failed (possibly related to argument '${lower}') - can't set immutable config`;
    }
    return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
  }
  const spec = optionSpecs.find((option) => option.flag === entry.flag) as OptionSpec;
  const converted = convertOption(spec, entry.toFlagText?.(value) ?? value);
  if (typeof converted === 'object') {
    return `ERR CONFIG SET failed (possibly related to argument '${lower}') - argument must be ${converted.accepted.replace(/^expected /, '')}`;
  }
  entry.apply(settings, converted);
  return null;
}
