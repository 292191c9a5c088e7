/**
 * Closing a client's socket without losing its last replies and without leaking it.
 *
 * `end()` sends our FIN after the last reply, but a socket whose input we no longer read would
 * never see the client's FIN (its bytes fill our receive buffer), and closing a socket with
 * unread input sends an RST, which can make the client's kernel drop replies it has not read
 * yet. So after `end()` we keep reading and drop what arrives, and once our side is flushed
 * the client has `closeLingerMs` to close its side before the socket is destroyed: a
 * connection whose input is finished always ends, and its --max-clients slot with it.
 */
import type { Socket } from 'node:net';

/** Time a client gets, after our last byte is flushed, to close its side. */
export const closeLingerMs = 2_000;

export function endAndRelease(socket: Socket, lastWords?: string): void {
  if (socket.destroyed) return;
  socket.on('data', dropInput);
  socket.resume();
  socket.once('finish', () => {
    const timer = setTimeout(() => socket.destroy(), closeLingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  if (lastWords === undefined) socket.end();
  else socket.end(lastWords);
}

function dropInput(): void {}
