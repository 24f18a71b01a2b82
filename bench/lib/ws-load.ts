// Parent side of ws-clients.ts: a process on the load core holding WebSocket clients.
import { spawn } from 'node:child_process';
import { nodeCommand, LOAD_CORE, ROOT, TS } from './proc.ts';
import type { WsReply, WsRequest } from './ws-clients.ts';

export interface WsClients {
  request(req: WsRequest): Promise<WsReply>;
  /** Polls until `check` holds or the timeout passes; returns the last reply. */
  waitFor(check: (r: WsReply) => boolean, timeoutMs: number): Promise<WsReply>;
  close(): Promise<void>;
}

export function startWsClients(): WsClients {
  const [cmd, args] = nodeCommand(LOAD_CORE, [...TS, 'bench/lib/ws-clients.ts']);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending: { resolve(r: WsReply): void; reject(e: Error): void } | null = null;
  child.on('message', (m) => pending?.resolve(m as WsReply));
  child.on('exit', (code) => pending?.reject(new Error(`ws client process exited (${code})`)));
  let queue: Promise<unknown> = Promise.resolve();
  const request = (req: WsRequest) => {
    const p = queue.then(
      () =>
        new Promise<WsReply>((resolve, reject) => {
          pending = { resolve, reject };
          child.send(req);
        }),
    );
    queue = p.catch(() => {});
    return p;
  };
  return {
    request,
    async waitFor(check, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await request({ cmd: 'events' });
        if (check(r) || Date.now() > deadline) return r;
        await new Promise((res) => setTimeout(res, 200));
      }
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ cmd: 'close' });
      await exited;
    },
  };
}
