/**
 * Commands received, by protocol and name, for `haus_commands_total`: one increment per
 * command on the main thread (an array slot by the command's index), read only when /metrics
 * is scraped. Names come from the two command tables, so the label has a fixed set of values
 * whatever clients send: RESP commands from src/commands/command-table.ts, line protocol
 * commands from src/protocol/command-parser.ts. A request naming no known command is not a
 * command here; its error reply is counted by kind (reply-meter.ts).
 */
import { commandTable } from '../commands/command-table.js';
import type { Command } from '../protocol/command-parser.js';

/** The line protocol's commands, as the parser names them (`Command['kind']`). */
export const lineCommandKinds = [
  'GET',
  'PUT',
  'DEL',
  'START',
  'COMMIT',
  'ROLLBACK',
  'PING',
  'QUIT',
  'EXPIRE',
  'PEXPIRE',
  'PERSIST',
  'TTL',
  'PTTL',
  'INFO',
  'AUTH',
  'DEBUG',
  'SAVE',
] as const satisfies ReadonlyArray<Command['kind']>;

type LineCommandKind = (typeof lineCommandKinds)[number];

/** Every RESP command name, by CommandSpec.index. */
export const respCommandNames: readonly string[] = [...commandTable.values()]
  .sort((x, y) => x.index - y.index)
  .map((spec) => spec.name);

export class CommandCounts {
  /** By CommandSpec.index (src/commands/command-table.ts). */
  readonly resp = new Float64Array(respCommandNames.length);
  /** By the parser's kind; `blank` and `error` lines are no command. */
  readonly line: Record<Command['kind'], number> = {
    GET: 0,
    PUT: 0,
    DEL: 0,
    START: 0,
    COMMIT: 0,
    ROLLBACK: 0,
    PING: 0,
    QUIT: 0,
    EXPIRE: 0,
    PEXPIRE: 0,
    PERSIST: 0,
    TTL: 0,
    PTTL: 0,
    INFO: 0,
    AUTH: 0,
    DEBUG: 0,
    SAVE: 0,
    blank: 0,
    error: 0,
  };

  lineCount(kind: LineCommandKind): number {
    return this.line[kind];
  }
}
