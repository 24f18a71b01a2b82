// A graphql-ws server on the sockets of a `ws` server, through graphql-ws's public makeServer(...).opened(): the
// protocol is graphql-ws's; the sockets are ours. So what graphql-ws's own `useServer` does with them is decided
// here: a socket's 'error' (a client's oversized or malformed frame, after ws has already closed it with the right
// code) is logged at debug, not printed with console.error for any client to fill the logs with; one keepalive timer
// serves every socket instead of two per socket; and the per-socket context (`extra`) is a plain object of Parley's.
import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, type Server } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger.ts';

export interface SocketsOptions<E> {
  /** Ping interval; a socket that has not answered the previous ping by the next one is dropped. 0: no pings. */
  keepAliveMs: number;
  logger: Logger;
  /** The `extra` graphql-ws hands to every hook of this socket (`ctx.extra`). */
  extraFor(socket: WebSocket, request: IncomingMessage): E;
}

/** Serves `server` on every socket `wss` accepts; returns how to stop (closing every socket with 1001). */
export function serveSockets<E>(wss: WebSocketServer, server: Server<E>, opts: SocketsOptions<E>) {
  const { logger } = opts;
  wss.options.handleProtocols = handleProtocols; // only graphql-transport-ws
  const unanswered = new WeakSet<WebSocket>();

  wss.on('error', (err) => {
    // The listening server itself failed: nothing can be served any more on these sockets.
    logger.error('ws server error', { error: err });
    for (const socket of wss.clients) socket.close(CloseCode.InternalServerError, 'Internal server error');
  });

  wss.on('connection', (socket, request) => {
    socket.on('error', (err) => logger.debug('ws client error', { error: err.message }));
    socket.on('pong', () => unanswered.delete(socket));
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((err: unknown) => {
              // A hook of ours failed unexpectedly: the socket's state is unknown, so it ends.
              logger.error('ws message handling failed', { error: err });
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      opts.extraFor(socket, request),
    );
    socket.once('close', (code, reason) => {
      unanswered.delete(socket);
      void closed(code, String(reason));
    });
  });

  const keepAlive =
    opts.keepAliveMs > 0
      ? setInterval(() => {
          for (const socket of wss.clients) {
            if (socket.readyState !== socket.OPEN) continue;
            if (unanswered.has(socket)) {
              socket.terminate();
              continue;
            }
            unanswered.add(socket);
            socket.ping();
          }
        }, opts.keepAliveMs)
      : undefined;
  keepAlive?.unref();

  return {
    async dispose(code: number, reason: string) {
      clearInterval(keepAlive);
      for (const socket of wss.clients) socket.close(code, reason);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
