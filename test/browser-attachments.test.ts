// Attachments in the web client, in Chromium against a real server: files chosen with the Attach button or dropped
// onto the composer upload at once (chips with Remove), go with the next message (with or without text, in the main
// history or a thread), and show on the other side: images as previews that load, other files as download links.
// Skipped, with a message, where Chromium is not installed. Screenshots go to test-output/browser/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { chromiumInstalled, launchChromium } from './helpers/browser.ts';
import { dataDir } from './helpers/attachments.ts';
import { screenshot, send, signedIn } from './helpers/web-client.ts';

const hasChromium = chromiumInstalled('the attachment tests (test/browser-attachments.test.ts)');

/** A 240x150 PNG with a gradient and stripes, so a preview that loads is visibly the image. */
function diagram(): Promise<Buffer> {
  const [width, height] = [240, 150];
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const stripe = Math.floor((x + y) / 15) % 2 === 0;
      pixels[i] = stripe ? 36 : 120 + Math.round((x / width) * 100);
      pixels[i + 1] = stripe ? 86 : 170;
      pixels[i + 2] = stripe ? 166 : 230 - Math.round((y / height) * 80);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Drops files made in the page (name and text) onto `selector`, as a drag from the desktop does. */
async function dropFiles(page: Page, selector: string, files: { name: string; text: string; type: string }[]) {
  const dataTransfer = await page.evaluateHandle((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([f.text], f.name, { type: f.type }));
    return transfer;
  }, files);
  await page.locator(selector).dispatchEvent('dragover', { dataTransfer });
  await page.locator(selector).dispatchEvent('drop', { dataTransfer });
}

describe.skipIf(!hasChromium)('attachments in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let storage: Awaited<ReturnType<typeof dataDir>>;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    storage = await dataDir();
    server = await startServer({ DATA_DIR: storage.dir });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await storage?.remove();
  });

  const open = async (page: Page, other: TestUser, last: string) => {
    await page.locator('#conversation-list button', { hasText: other.name }).click();
    await page.locator('#message-list', { hasText: last }).waitFor();
  };

  it('uploads an image and a text file, sends them without text, and both show on the other side', { timeout: 120_000 }, async () => {
    const linus = await server.user({ name: 'Linus Torvalds' });
    const margaret = await server.user({ name: 'Margaret Hamilton' });
    await send(server, margaret, linus, 'Send me the diagram and the notes?');
    const linusPage = await signedIn(browser, server, linus, pageErrors);
    const margaretPage = await signedIn(browser, server, margaret, pageErrors);
    await open(linusPage, margaret, 'Send me the diagram');
    await open(margaretPage, linus, 'Send me the diagram');

    // Linus attaches the image with the Attach button and drops the notes onto the composer: each is a chip, uploaded.
    const composer = linusPage.locator('#composer');
    const chooser = linusPage.waitForEvent('filechooser');
    await composer.getByRole('button', { name: 'Attach files' }).click();
    await (await chooser).setFiles({ name: 'diagram.png', mimeType: 'image/png', buffer: await diagram() });
    await dropFiles(linusPage, '#composer', [{ name: 'notes.txt', text: 'Launch checklist:\n1. fuel\n2. go', type: 'text/plain' }]);
    await composer.locator('.upload-chip.done', { hasText: 'diagram.png' }).waitFor();
    await composer.locator('.upload-chip.done', { hasText: 'notes.txt' }).getByText('31 B').waitFor();

    // A third one is removed before sending: it does not go with the message.
    await composer
      .locator('input[type=file]')
      .setInputFiles({ name: 'draft.txt', mimeType: 'text/plain', buffer: Buffer.from('not this') });
    await composer.locator('.upload-chip', { hasText: 'draft.txt' }).waitFor();
    await composer.getByRole('button', { name: 'Remove draft.txt' }).click();
    await composer.locator('.upload-chip', { hasText: 'draft.txt' }).waitFor({ state: 'detached' });

    // Enter with no text sends the files alone; the chips go.
    await linusPage.getByLabel('Message', { exact: true }).press('Enter');
    await composer.locator('.upload-chips').waitFor({ state: 'hidden' });
    const sentAt = (page: Page) => page.locator('#message-list .message', { has: page.locator('.attachments') });
    await sentAt(linusPage).locator('img[alt="diagram.png"]').waitFor();

    // Margaret gets it live: the preview loads, the link opens the image, the notes download with their name and size.
    const received = sentAt(margaretPage);
    const preview = received.locator('img[alt="diagram.png"]');
    await preview.waitFor();
    await margaretPage.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#message-list img[alt="diagram.png"]');
      return !!img && img.complete && img.naturalWidth > 0;
    });
    expect(await preview.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([240, 150]);
    const notes = received.getByRole('link', { name: /notes\.txt/ });
    await notes.getByText('31 B').waitFor();
    const fetched = await margaretPage.evaluate(
      async (href) => {
        const res = await fetch(href);
        return { status: res.status, text: await res.text(), disposition: res.headers.get('content-disposition') };
      },
      (await notes.getAttribute('href'))!,
    );
    expect(fetched).toMatchObject({ status: 200, text: 'Launch checklist:\n1. fuel\n2. go' });
    expect(fetched.disposition).toMatch(/^attachment/);
    const image = await margaretPage.evaluate(
      async (href) => {
        const res = await fetch(href);
        return { status: res.status, type: res.headers.get('content-type') };
      },
      (await received.locator('a.attachment-image').getAttribute('href'))!,
    );
    expect(image).toEqual({ status: 200, type: 'image/png' });
    expect(await received.locator('.attachments > *').count()).toBe(2);
    expect(await received.textContent()).not.toContain('draft.txt');
    await margaretPage.locator('#conversation-list button', { hasText: 'Linus Torvalds' }).getByText('Linus Torvalds: 📎 files').waitFor();

    // Margaret answers in the thread with a file and a line: Linus sees both in the thread.
    await margaretPage.getByRole('button', { name: 'Reply in thread: diagram.png, notes.txt' }).click();
    const threadComposer = margaretPage.locator('#thread-composer');
    await threadComposer.locator('input[type=file]').setInputFiles({
      name: 'review.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Review\nLooks good.'),
    });
    await threadComposer.locator('.upload-chip.done', { hasText: 'review.md' }).waitFor();
    await margaretPage.getByLabel('Reply in thread', { exact: true }).fill('My review is attached.');
    await margaretPage.getByLabel('Reply in thread', { exact: true }).press('Enter');
    await margaretPage
      .locator('#thread-replies .message.mine', { hasText: 'My review is attached.' })
      .getByRole('link', { name: /review\.md/ })
      .waitFor();
    await sentAt(linusPage).locator('.thread-summary', { hasText: '1 reply' }).click();
    await linusPage
      .locator('#thread-replies .message', { hasText: 'My review is attached.' })
      .getByRole('link', { name: /review\.md/ })
      .waitFor();

    // A chip waiting to be sent, for the screenshot: Margaret attaches one more file to the conversation.
    await margaretPage.getByRole('button', { name: 'Close thread' }).click();
    await margaretPage.locator('#composer input[type=file]').setInputFiles({
      name: 'flight-plan.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4\n% not really\n'),
    });
    await margaretPage.locator('#composer .upload-chip.done', { hasText: 'flight-plan.pdf' }).waitFor();
    await margaretPage.getByLabel('Message', { exact: true }).fill('And the flight plan, for Thursday');
    await screenshot(margaretPage, 'attachments');
    expect(pageErrors).toEqual([]);
  });
});
