/**
 * Commands received, by protocol and name, for `haus_commands_total`: one increment per
 * command on the main thread (an array slot by the command's index), read only when /metrics
 * is scraped. Names come from the two command tables, so the label has a fixed set of values
 * whatever clients send: RESP commands from src/commands/command-table.ts, line protocol
 * commands from src/protocol/command-parser.ts. A request naming no known command is not a
 * command here; its error reply is counted by kind (reply-meter.ts).
 */
import { commandTable } from '../commands/command-table.js';
import { type Command, commandNames } from '../protocol/command-parser.js';

/** The line protocol's commands, as the parser names them (`Command['kind']`). */
export const lineCommandKinds = [...commandNames, 'DEBUG'] as const satisfies ReadonlyArray<
  Command['kind']
>;

type LineCommandKind = (typeof lineCommandKinds)[number];
/** Compiles only while every kind the parser returns has a counter. */
const everyKindCounted: [Exclude<Command['kind'], LineCommandKind | 'blank' | 'error'>] extends [
  never,
]
  ? true
  : never = true;
void everyKindCounted;

/** Every RESP command name, by CommandSpec.index. */
export const respCommandNames: readonly string[] = [...commandTable.values()]
  .sort((x, y) => x.index - y.index)
  .map((spec) => spec.name);

export class CommandCounts {
  /** By CommandSpec.index (src/commands/command-table.ts). */
  readonly resp = new Float64Array(respCommandNames.length);
  /** By the parser's kind; `blank` and `error` lines are no command. */
  readonly line = Object.fromEntries(
    [...lineCommandKinds, 'blank', 'error'].map((kind) => [kind, 0]),
  ) as Record<Command['kind'], number>;

  lineCount(kind: LineCommandKind): number {
    return this.line[kind];
  }
}
