// Development only (WEB_LIVE_RELOAD=true, set by `npm run dev`): the page keeps an EventSource on /__dev/reload.
// Each connection first receives this process's boot id; a change under web/ sends "reload". When `tsx watch`
// restarts the server the stream drops, EventSource reconnects, sees a new boot id, and the page reloads.
import { watch, type FSWatcher } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export const DEV_RELOAD_PATH = '/__dev/reload';
export const DEV_RELOAD_SCRIPT = '<script type="module" src="/js/dev-reload.js"></script>';

export interface DevReload {
  serve(res: ServerResponse): void;
  close(): void;
}

export function startDevReload(webRoot: string): DevReload {
  const boot = randomUUID();
  const clients = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(webRoot, { recursive: true }, () => {
      // Editors write a file in several steps: one reload per burst.
      clearTimeout(timer);
      timer = setTimeout(() => {
        for (const res of clients) res.write('event: reload\ndata: web\n\n');
      }, 100);
    });
  } catch {
    // No recursive watch on this platform: server restarts still reload the page.
  }
  return {
    serve(res) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(`retry: 500\ndata: ${boot}\n\n`);
      clients.add(res);
      res.on('close', () => clients.delete(res));
    },
    close() {
      clearTimeout(timer);
      watcher?.close();
      for (const res of clients) res.destroy();
      clients.clear();
    },
  };
}
