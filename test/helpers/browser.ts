// Chromium for the browser tests: Debian's package, driven by playwright-core. Where it is not installed the tests
// are skipped with a message (.ci/run installs it). Screenshots go to OUTPUT.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
export const OUTPUT = join(process.cwd(), 'test-output', 'browser');

/** Whether Chromium is installed; when not, says which tests (`what`, with its file) are skipped and how to install it. */
export function chromiumInstalled(what: string): boolean {
  const installed = existsSync(CHROMIUM);
  if (!installed) console.warn(`\n  SKIPPED: ${what} needs Chromium at ${CHROMIUM}: apt-get install -y chromium\n`);
  return installed;
}

/** Headless Chromium that opens no connection of its own (no background networking, updates, sync or QUIC). */
export async function launchChromium(): Promise<Browser> {
  await mkdir(OUTPUT, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
