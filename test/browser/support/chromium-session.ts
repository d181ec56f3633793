/**
 * The setup every browser test file shares: a server on 127.0.0.1, the system Chromium with a
 * persistent profile, pages opened on the server, and everything closed after the file.
 *
 * `useChromium()` registers the vitest hooks and returns handles to the current server and
 * browser. Call it at the top of a file; its hooks run before the file's own `beforeAll` and
 * `beforeEach` and, as vitest runs after-hooks in reverse, after the file's `afterEach` and
 * `afterAll`.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Page } from 'playwright-core';
import { launchPersistent, type Browser } from './chromium.js';
import { clearOrigin } from './origin-storage.js';
import { startTestServer, type TestServer } from './server.js';

export interface Served {
  origin: string;
  close(): Promise<void>;
}

export interface ChromiumSessionOptions<S extends Served> {
  /** How to start the server (default: `startTestServer()`). */
  server?: () => Promise<S>;
  /**
   * What each test starts from:
   * - `'file'` (default): one browser for the file, shared by its tests;
   * - `'origin'`: one browser for the file; before each test its pages are closed and everything
   *   the server's origin stored is deleted (cheaper than a browser per test);
   * - `'browser'`: a new browser with a new profile for each test.
   */
  fresh?: 'file' | 'origin' | 'browser';
  /** Passed to `launchPersistent`. */
  launch?: Parameters<typeof launchPersistent>[0];
}

export interface ChromiumSession<S extends Served> {
  /** The running server (valid from the file's `beforeAll` on). */
  server: S;
  /** The running browser (valid from the file's `beforeAll` on, or `beforeEach` with `fresh: 'browser'`). */
  browser: Browser & { userDataDir: string };
  /** `page`, or a new page, navigated to `path` on the server. */
  open(path: string, page?: Page): Promise<Page>;
}

/** A stand-in that forwards to whatever `current()` is when used, so handles taken at import time stay valid. */
function handle<T extends object>(what: string, current: () => T | undefined): T {
  const target = (): T => {
    const value = current();
    if (!value) throw new Error(`the ${what} is used before useChromium's hooks started it`);
    return value;
  };
  return new Proxy({} as T, {
    get(_, key) {
      const value = Reflect.get(target(), key);
      return typeof value === 'function' ? value.bind(target()) : value;
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
  });
}

export function useChromium<S extends Served = TestServer>(options: ChromiumSessionOptions<S> = {}): ChromiumSession<S> {
  const fresh = options.fresh ?? 'file';
  const startServer = options.server ?? (startTestServer as unknown as () => Promise<S>);
  let server: S | undefined;
  let browser: (Browser & { userDataDir: string }) | undefined;

  beforeAll(async () => {
    server = await startServer();
    if (fresh !== 'browser') browser = await launchPersistent(options.launch);
  });
  afterAll(async () => {
    await browser?.close();
    browser = undefined;
    await server?.close();
    server = undefined;
  });
  if (fresh === 'browser') {
    beforeEach(async () => {
      browser = await launchPersistent(options.launch);
    });
    afterEach(async () => {
      await browser?.close();
      browser = undefined;
    });
  }
  if (fresh === 'origin') {
    beforeEach(async () => {
      for (const page of browser!.context.pages()) await page.close();
      await clearOrigin(browser!.context, server!.origin);
    });
  }

  const session: ChromiumSession<S> = {
    server: handle('server', () => server),
    browser: handle('browser', () => browser),
    async open(path, page) {
      const target = page ?? (await session.browser.context.newPage());
      await target.goto(`${session.server.origin}${path}`);
      return target;
    },
  };
  return session;
}
