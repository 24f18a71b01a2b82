// A bcrypt worker thread (plain JavaScript, so it loads the same way under tsx, vitest and plain node). It lowers
// its own scheduling priority first: on a busy core the event loop (every other request) goes first and hashing
// uses the time left over, so a burst of sign-ins does not slow the rest of the server down.
import { parentPort } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import bcrypt from 'bcrypt';

try {
  // Linux: /proc/thread-self -> <pid>/task/<tid>; a nice value set on a thread id applies to that thread only.
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) setPriority(tid, 19);
} catch {
  // elsewhere the worker runs at normal priority: still off the event loop
}

parentPort.on('message', ({ id, op, password, arg }) => {
  try {
    const result = op === 'hash' ? bcrypt.hashSync(password, arg) : bcrypt.compareSync(password, arg);
    parentPort.postMessage({ id, result });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
