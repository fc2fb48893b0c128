// `npm run e2e`: builds the app (skip with E2E_NO_BUILD=1), serves dist with
// `vite preview` (sending the app's CSP) on a free port, and drives Debian's
// Chromium through playwright-core with the Tauri IPC mocked (mock.mjs)
// from the typed fixtures (fixtures.ts). Screenshots go to e2e/out/.
// Exits non-zero when any test fails.

import { build, preview, runnerImport } from 'vite';
import { chromium } from 'playwright-core';
import { mkdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installMock } from './mock.mjs';
import { tests as appTests } from './app.e2e.mjs';
import { tests as evidenceTests } from './evidence.e2e.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'e2e', 'out');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.error(`e2e: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
    process.exit(2);
  }
  mkdirSync(out, { recursive: true });
  const only = process.argv[2];

  let t0 = Date.now();
  if (process.env.E2E_NO_BUILD !== '1') {
    await build({ root, logLevel: 'warn' });
    console.log(`e2e: built dist in ${Date.now() - t0} ms`);
  }
  const { module: fx } = await runnerImport(join(root, 'e2e', 'fixtures.ts'), { root, logLevel: 'warn' });

  const port = await freePort();
  const server = await preview({ root, logLevel: 'warn', preview: { port, strictPort: true, host: '127.0.0.1', open: false } });
  const base = `http://127.0.0.1:${port}/`;

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // The fresh --user-data-dir: playwright-core's launch() refuses the flag
  // and itself starts Chromium on a new empty profile directory in $TMPDIR
  // (playwright_chromiumdev_profile-*), removed when the browser closes.

  const worlds = new Map();
  const worldOf = (fleetSize) => {
    if (!worlds.has(fleetSize)) worlds.set(fleetSize, fx.world(fleetSize));
    return worlds.get(fleetSize);
  };

  let failed = 0;
  t0 = Date.now();
  for (const test of [...appTests, ...evidenceTests]) {
    if (only && !test.name.includes(only)) continue;
    const started = Date.now();
    const context = await browser.newContext({
      // The app window's size (src-tauri/tauri.conf.json).
      viewport: { width: 1280, height: 800 },
      colorScheme: test.colorScheme ?? 'light',
      bypassCSP: test.bypassCSP ?? false,
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    // The fixtures' ages are relative to fx.NOW: the page's clock stands there.
    await page.clock.setFixedTime(new Date(fx.NOW));
    await page.addInitScript(installMock, worldOf(test.fleetSize ?? 200));
    try {
      await test.run({ page, base, out, fx, errors });
      const csp = await page.evaluate(() => window.__ipc?.csp ?? []);
      if (csp.length > 0) throw new Error(`CSP violations: ${csp.join('; ')}`);
      if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
      console.log(`ok   ${test.name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${test.name}: ${e instanceof Error ? e.stack ?? e.message : e}`);
      await page.screenshot({ path: join(out, `FAIL-${test.name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
    } finally {
      await context.close();
    }
  }
  console.log(`e2e: ${failed === 0 ? 'all passed' : `${failed} failed`} in ${Date.now() - t0} ms`);

  await browser.close();
  await server.close();
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
