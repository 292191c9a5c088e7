/**
 * A shard's RESP reply to one command, written straight into the batch's reply slot through
 * the ReplyWriter: every method writes one whole reply (or, for `arrayHeader` and
 * `mapHeader`, the start of one whose elements follow with `element*` calls and `end`).
 */
import type { ReplyWriter } from './reply-writer.js';

export class RespOut {
  resp3 = false;
  constructor(private readonly writer: ReplyWriter) {}

  ok(): void {
    this.writer.append('+OK\r\n');
    this.writer.endReply();
  }

  simple(text: string): void {
    this.writer.append(`+${text}\r\n`);
    this.writer.endReply();
  }

  error(message: string): void {
    this.writer.append(`-${message}\r\n`);
    this.writer.endReply();
  }

  integer(value: number | bigint): void {
    this.writer.append(`:${value}\r\n`);
    this.writer.endReply();
  }

  /** A bulk string, or nil for undefined. */
  bulk(value: string | undefined): void {
    this.element(value);
    this.writer.endReply();
  }

  nil(): void {
    this.element(undefined);
    this.writer.endReply();
  }

  /** Starts an array reply of `count` elements. */
  arrayHeader(count: number): void {
    this.writer.append(`*${count}\r\n`);
  }

  /** One bulk-string element (nil for undefined) of the array being written. */
  element(value: string | undefined): void {
    if (value === undefined) {
      this.writer.append(this.resp3 ? '_\r\n' : '$-1\r\n');
      return;
    }
    this.writer.append(`$${value.length}\r\n`);
    this.writer.append(value);
    this.writer.append('\r\n');
  }

  integerElement(value: number): void {
    this.writer.append(`:${value}\r\n`);
  }

  /** Ends the array started with `arrayHeader`. */
  end(): void {
    this.writer.endReply();
  }
}
