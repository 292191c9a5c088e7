/**
 * Replies of the Redis front door's connection and server commands that need no shard:
 * HELLO, COMMAND, CONFIG GET, CLIENT INFO/LIST, TIME, and INFO's text. Redis's formats, so
 * redis-cli, client libraries' start-up checks and exporters read them.
 */
import { arityOk, type CommandSpec, commandTable } from '../commands/command-table.js';
import {
  respArrayHeaderText,
  respBulkText,
  respIntegerText,
  respMapHeaderText,
} from './resp-reply.js';

/** The Redis version whose commands Haus serves (SPEC.md section 11: `redis_version`). */
export const servedRedisVersion = '7.0.15';

/** What a front door knows of one client, for CLIENT INFO and CLIENT LIST. */
export interface ClientDescription {
  id: number;
  address: string;
  name: string;
  ageSeconds: number;
  idleSeconds: number;
  resp: number;
  inMulti: boolean;
  libName: string;
  libVersion: string;
  lastCommand: string;
}

export function clientInfoLine(client: ClientDescription): string {
  return (
    `id=${client.id} addr=${client.address} laddr= fd=0 name=${client.name} ` +
    `age=${client.ageSeconds} idle=${client.idleSeconds} flags=N db=0 sub=0 psub=0 ` +
    `ssub=0 multi=${client.inMulti ? 0 : -1} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 ` +
    `rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=${client.lastCommand} user=default ` +
    `redir=-1 resp=${client.resp} lib-name=${client.libName} lib-ver=${client.libVersion}\n`
  );
}

/** HELLO's map: who we are and the protocol now in use. */
export function helloText(clientId: number, resp: number): string {
  const resp3 = resp === 3;
  return (
    respMapHeaderText(7, resp3) +
    respBulkText('server') +
    respBulkText('redis') +
    respBulkText('version') +
    respBulkText(servedRedisVersion) +
    respBulkText('proto') +
    respIntegerText(resp) +
    respBulkText('id') +
    respIntegerText(clientId) +
    respBulkText('mode') +
    respBulkText('standalone') +
    respBulkText('role') +
    respBulkText('master') +
    respBulkText('modules') +
    respArrayHeaderText(0)
  );
}

function flagsOf(spec: CommandSpec): string[] {
  const flags: string[] = [];
  if (spec.write) flags.push('write');
  else if (spec.kind !== 'connection') flags.push('readonly');
  if (spec.denyOom) flags.push('denyoom');
  if (spec.kind === 'connection') flags.push('fast');
  return flags;
}

/** COMMAND INFO's entry for one command (Redis 7's ten fields; hints and key specs empty). */
export function commandInfoText(spec: CommandSpec): string {
  let text = respArrayHeaderText(10);
  text += respBulkText(spec.name);
  text += respIntegerText(spec.arity);
  const flags = flagsOf(spec);
  text += respArrayHeaderText(flags.length);
  for (const flag of flags) text += `+${flag}\r\n`;
  text += respIntegerText(spec.firstKey);
  text += respIntegerText(spec.lastKey);
  text += respIntegerText(spec.keyStep);
  text += respArrayHeaderText(0);
  text += respArrayHeaderText(0);
  text += respArrayHeaderText(0);
  text += respArrayHeaderText(0);
  return text;
}

/** COMMAND [COUNT | INFO name... | DOCS name... | LIST]; null for an unknown subcommand. */
export function commandReplyText(words: string[], resp3: boolean): string | null {
  const sub = words[0]?.toUpperCase();
  if (sub === undefined) {
    let text = respArrayHeaderText(commandTable.size);
    for (const spec of commandTable.values()) text += commandInfoText(spec);
    return text;
  }
  if (sub === 'COUNT' && words.length === 1) return respIntegerText(commandTable.size);
  if (sub === 'LIST') {
    let text = respArrayHeaderText(commandTable.size);
    for (const name of commandTable.keys()) text += respBulkText(name);
    return text;
  }
  if (sub === 'INFO') {
    const names = words.length > 1 ? words.slice(1) : [...commandTable.keys()];
    let text = respArrayHeaderText(names.length);
    for (const name of names) {
      const spec = commandTable.get(name.toLowerCase());
      text += spec === undefined ? (resp3 ? '_\r\n' : '*-1\r\n') : commandInfoText(spec);
    }
    return text;
  }
  // Docs are text for people; redis-cli falls back to its own hints without them.
  if (sub === 'DOCS') return respMapHeaderText(0, resp3);
  return null;
}

/** Whether `spec` accepts `count` words (name included). */
export function arityAccepts(spec: CommandSpec, count: number): boolean {
  return arityOk(spec, count);
}

/** TIME: seconds and microseconds, as bulk strings. */
export function timeText(): string {
  const micros = BigInt(Math.round(performance.timeOrigin * 1000 + performance.now() * 1000));
  const seconds = micros / 1_000_000n;
  return (
    respArrayHeaderText(2) +
    respBulkText(seconds.toString()) +
    respBulkText((micros - seconds * 1_000_000n).toString())
  );
}

/** INFO's sections, in Redis's order: each a title and its fields. */
export type InfoSections = Array<[title: string, fields: Array<[string, string | number]>]>;

/** INFO's text for `section` ('default', 'all', 'everything' or one section's name). */
export function infoText(sections: InfoSections, section: string): string {
  const wanted = section.toLowerCase();
  const all = wanted === 'all' || wanted === 'everything' || wanted === 'default';
  const parts: string[] = [];
  for (const [title, fields] of sections) {
    if (!all && title.toLowerCase() !== wanted) continue;
    // An empty keyspace section still has its title, as in Redis.
    let text = `# ${title}\r\n`;
    for (const [name, value] of fields) text += `${name}:${value}\r\n`;
    parts.push(text);
  }
  return parts.join('\r\n');
}
