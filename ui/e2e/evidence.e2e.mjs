// The end-to-end tests of the comparison's evidence (issue 13): the schema
// diff, the data lineage and a training curve, as the mocked IPC answers
// them from fixtures-evidence.ts. Kept apart from app.e2e.mjs (which
// would pass 600 lines); the same helpers, the same rules.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { calls, openDetail, shootWhole } from './app.e2e.mjs';

export const tests = [
  {
    name: 'the comparison shows the schema diff, the data lineage and a training curve (issue 13)',
    async run({ page, base, out, fx }) {
      await openDetail(page, base, fx.PROMOTION_ID);
      await page.getByTestId('schema-summary').waitFor();
      assert.deepEqual((await calls(page, 'compare_evidence')).map((c) => c.args), [{ model: 'fraud-detector', a: '7', b: '8' }]);
      // Schema: Rust's changes, each breaking one marked with its reason.
      assert.equal(await page.getByTestId('schema-summary').innerText(), '2 changed, 3 unchanged, 2 breaking');
      const changes = page.getByTestId('schema-change');
      assert.equal(await changes.count(), 2);
      assert.match(await changes.nth(0).innerText(), /input\s+country\s+string\s+long\s+retyped\s+BREAKING/);
      assert.equal(await changes.nth(1).locator('td').nth(1).textContent(), fx.XSS, 'a hostile column name is text');
      assert.match(await changes.nth(1).innerText(), /—\s+string\s+added\s+BREAKING/);
      const reasons = await page.getByTestId('schema-reason').allTextContents();
      assert.deepEqual(reasons, [
        'input "country" changed type string -> long: requests sending string fail',
        `B requires input "${fx.XSS}": requests without it fail`,
      ]);
      // Data: the verdict and the datasets paired by context.
      assert.equal(await page.getByTestId('data-verdict').innerText(), 'different data');
      const rows = page.getByTestId('data-rows').locator('tbody tr');
      assert.equal(await rows.count(), 3);
      assert.match(await rows.nth(0).innerText(), /eval\s+fraud-holdout@ff3d698e\s+fraud-holdout@ff3d698e\s+8126 → 8126\s+same/);
      assert.match(await rows.nth(1).innerText(), /training\s+fraud-features@ce914d46\s+fraud-features@643c9007\s+44070 → 50727\s+differs/);
      assert.match(await rows.nth(2).innerText(), /—\s+.*@abcdef01\s+— → 12\s+differs/);
      // The curve of the first common metric, then another one picked.
      const chart = page.getByTestId('curve-chart');
      await chart.locator('svg').waitFor();
      assert.deepEqual((await calls(page, 'compare_curve')).map((c) => c.args), [{ model: 'fraud-detector', a: '7', b: '8', metric: 'logloss' }]);
      const caption = await chart.locator('figcaption').innerText();
      assert.match(caption, /logloss/);
      assert.match(caption, /Champion \(50 steps\)/);
      assert.match(caption, /Challenger \(40 steps\)/);
      assert.equal(await chart.locator('path').count() >= 2, true, 'a line per run');
      const ticks = await chart.locator('text.tick').allTextContents();
      assert.ok(ticks.includes('step 0') && ticks.includes('step 49'), `x axis in steps: ${ticks}`);
      await shootWhole(page, join(out, 'compare-evidence.png'));
      await page.getByTestId('curve-select').selectOption('auc');
      await page.waitForFunction(() => window.__ipc.calls.filter((c) => c.cmd === 'compare_curve').length === 2);
      await page.getByTestId('curve-chart').locator('figcaption', { hasText: 'auc' }).waitFor();
      assert.equal((await calls(page, 'compare_curve'))[1].args.metric, 'auc');
      assert.equal(await page.evaluate(() => document.querySelectorAll('img[src="x"]').length), 0);
    },
  },
  {
    name: 'a part that could not be read shows its error and leaves the others; a refused curve shows its code',
    async run({ page, base }) {
      await page.goto(`${base}#/model/fraud-detector`);
      await page.getByTestId('versions').waitFor();
      await page.evaluate(() => {
        const w = window.__ipc.world;
        w.evidence = { ...w.evidence, schema: null, schema_error: { code: 'timeout', message: "reading A's signature did not answer within 10.0s" } };
        delete w.curves.logloss;
      });
      await page.getByTestId('compare-button').click();
      const schema = page.getByTestId('compare-schema');
      await schema.locator('.error').waitFor();
      assert.equal(await schema.locator('.error').innerText(), "Schema not read: timeout reading A's signature did not answer within 10.0s");
      assert.equal(await page.getByTestId('schema-change').count(), 0);
      assert.equal(await page.getByTestId('data-verdict').innerText(), 'different data', 'the lineage is still shown');
      await page.getByTestId('curve-error').waitFor();
      assert.match(await page.getByTestId('curve-error').innerText(), /^not_found metric "logloss" is not logged by both runs/);
      assert.deepEqual((await calls(page, 'compare_evidence')).map((c) => c.args), [{ model: 'fraud-detector', a: '7', b: '8' }]);
    },
  },
];
