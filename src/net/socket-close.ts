/**
 * Closing a client's socket without losing its last replies and without leaking it.
 *
 * `end()` sends our FIN after the last reply, but a socket whose input we no longer read would
 * never see the client's FIN (its bytes fill our receive buffer), and closing a socket with
 * unread input sends an RST, which can make the client's kernel drop replies it has not read
 * yet. So after `end()` we keep reading and drop what arrives. Every `closeLingerMs` the
 * socket is checked: once our side has been flushed for a whole period, or when the client has
 * read nothing of our last replies for a whole period, the socket is destroyed. A connection
 * whose input is finished always ends, and its --max-clients slot with it.
 */
import type { Socket } from 'node:net';

/** Time a client gets to close its side after our last byte is flushed, and to read more of
 * our last replies. */
export const closeLingerMs = 2_000;

export function endAndRelease(socket: Socket, lastWords?: string): void {
  if (socket.destroyed) return;
  socket.on('data', dropInput);
  socket.resume();
  if (lastWords === undefined) socket.end();
  else socket.end(lastWords);
  let unsentBytes = socket.writableLength;
  let flushedBefore = false;
  const check = setInterval(() => {
    const flushed = socket.writableFinished;
    const stalled = !flushed && socket.writableLength >= unsentBytes;
    if ((flushed && flushedBefore) || stalled) socket.destroy();
    flushedBefore = flushed;
    unsentBytes = socket.writableLength;
  }, closeLingerMs);
  check.unref();
  socket.once('close', () => clearInterval(check));
}

function dropInput(): void {}
