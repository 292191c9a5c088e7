/**
 * What the load generator needs from a protocol: the text of each command it sends, the reply
 * kind each command must get back, and a reply parser. Commands are strings so a batch of them
 * becomes one `socket.write` (one system call per batch, not per command).
 */
import type { ReplyKind, ReplyParser, ReplySink } from './reply.js';

export type ProtocolName = 'haus' | 'resp';

export interface ProtocolCodec {
  readonly name: ProtocolName;
  get(key: string): string;
  put(key: string, value: string): string;
  /** Opens a transaction: Haus START, Redis MULTI. Both answer Ok. */
  begin(): string;
  /** Haus COMMIT, Redis EXEC. */
  commit(): string;
  /** The reply to a PUT inside a transaction: Haus Ok, Redis QUEUED. */
  readonly putInTxReply: ReplyKind;
  /** The reply to a commit that applied: Haus Ok, Redis an array of OKs. */
  readonly commitReply: ReplyKind;
  createParser(sink: ReplySink): ReplyParser;
}
