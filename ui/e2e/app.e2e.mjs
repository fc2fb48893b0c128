// The end-to-end tests: each asserts real DOM state or the IPC calls the UI
// made (window.__ipc.calls), so each can fail. Waits are for conditions,
// never for time.

import assert from 'node:assert/strict';
import { join } from 'node:path';

export const calls = (page, cmd) =>
  page.evaluate((c) => window.__ipc.calls.filter((x) => c === undefined || x.cmd === c), cmd);

/** A screenshot of the whole screen: main scrolls inside the window, so grow the window to it. */
export async function shootWhole(page, path) {
  const h = await page.evaluate(() => {
    const m = document.querySelector('main');
    m.scrollTop = 0;
    return m.scrollHeight + m.getBoundingClientRect().top + 4;
  });
  const vp = page.viewportSize();
  await page.setViewportSize({ width: vp.width, height: Math.max(vp.height, Math.ceil(h)) });
  await page.screenshot({ path });
  await page.setViewportSize(vp);
}

async function openInbox(page, base) {
  await page.goto(`${base}#/inbox`);
  await page.getByTestId('inbox-row').first().waitFor();
}

export async function openDetail(page, base, id) {
  await page.goto(`${base}#/promotion/${encodeURIComponent(id)}`);
  await page.getByTestId('promotion-title').waitFor();
}

export const tests = [
  {
    // Every test ends by asserting no CSP violation was reported; this one
    // shows the policy is sent and a violation is seen.
    name: 'the CSP is enforced and its violations are caught',
    async run({ page, base, errors }) {
      await openInbox(page, base);
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inline = 1';
        document.body.append(s);
      });
      await page.waitForFunction(() => window.__ipc.csp.length > 0);
      const seen = await page.evaluate(() => ({ inline: window.__inline, csp: window.__ipc.csp.splice(0) }));
      assert.equal(seen.inline, undefined);
      assert.match(seen.csp[0], /^script-src/);
      // Chromium logs the blocked script too: that one was expected.
      assert.equal(errors.length, 1);
      assert.match(errors[0], /Content Security Policy/);
      errors.splice(0);
    },
  },
  {
    name: 'inbox lists the pending promotion and follows the inbox event',
    async run({ page, base, out, fx }) {
      await openInbox(page, base);
      const rows = page.getByTestId('inbox-row');
      assert.equal(await rows.count(), 2);
      const first = await rows.first().innerText();
      for (const want of ['fraud-detector', 'v8', '@champion', 'carol', '2h 5m', 'replaces v7']) {
        assert.ok(first.includes(want), `first inbox row lacks ${want}: ${first}`);
      }
      assert.equal(await page.getByTestId('inbox-approvals').first().innerText(), '0/2');
      const gates = await page.getByTestId('gate-counts').first().innerText();
      assert.match(gates, /✓ 3/);
      assert.match(gates, /… 1/);
      assert.match(gates, /\? 1/);
      assert.equal(await page.getByTestId('inbox-badge').innerText(), '2');
      // Header: banner, backends with "stale since".
      assert.equal(await page.getByTestId('banner').innerText(), fx.session.banner);
      assert.match(await page.getByTestId('backends').innerText(), /Metrics\s+stale\s+stale \d+m/);
      await page.screenshot({ path: join(out, 'inbox.png') });

      // The Rust side pushes a new inbox: the list and the badge follow.
      await page.waitForFunction(() => window.__ipc.listening('inbox') > 0);
      await page.evaluate((items) => window.__ipc.emit('inbox', items), fx.inboxAfterEvent);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=inbox-row]').length === 3);
      assert.equal(await page.getByTestId('inbox-badge').innerText(), '3');

      // A snapshot event with every backend ready: the header drops "stale".
      await page.evaluate((backends) => window.__ipc.emit('snapshot', { generation: 2, backends }), fx.session.backends.map((b) => ({ ...b, state: 'ready', label: 'ready', detail: null, stale_since: null })));
      await page.waitForFunction(() => !document.querySelector('[data-testid=backends]').textContent.includes('stale'));
    },
  },
  {
    name: 'keyboard: j/k move, Enter opens, g f / g i switch screens, ? shows help',
    async run({ page, base, fx }) {
      await openInbox(page, base);
      await page.keyboard.press('j');
      await page.keyboard.press('k');
      await page.keyboard.press('Enter');
      await page.getByTestId('promotion-title').waitFor();
      assert.equal(new URL(page.url()).hash, `#/promotion/${encodeURIComponent(fx.inbox[0].status.promotion.id)}`);
      await page.keyboard.press('g');
      await page.keyboard.press('f');
      await page.getByTestId('fleet-row').first().waitFor();
      await page.keyboard.press('g');
      await page.keyboard.press('i');
      await page.getByTestId('inbox-row').first().waitFor();
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      assert.match(await page.getByRole('dialog').innerText(), /g f\s+Fleet/);
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });
    },
  },
  {
    name: 'an unknown promotion shows the error code and message Rust sent',
    async run({ page, base }) {
      await page.goto(`${base}#/promotion/no-such-id`);
      await page.getByTestId('promotion-error').waitFor();
      assert.equal(await page.getByTestId('promotion-error').innerText(), 'Not found: no promotion no-such-id');
    },
  },
  {
    name: 'a deep link (the open event) opens the promotion, in the profile it names',
    async run({ page, base, fx }) {
      await openInbox(page, base);
      await page.waitForFunction(() => window.__ipc.listening('open') > 0);
      await page.evaluate((id) => window.__ipc.emit('open', { promotion_id: id, profile: 'prod-eu' }), fx.PROMOTION_ID);
      await page.getByTestId('promotion-title').waitFor();
      assert.equal(new URL(page.url()).hash, `#/promotion/${encodeURIComponent(fx.PROMOTION_ID)}`);
      assert.deepEqual((await calls(page, 'open_profile')).map((c) => c.args), [{ name: 'prod-eu' }]);
      // Opening is all a link does: no decision was sent.
      assert.deepEqual([...(await calls(page, 'approve')), ...(await calls(page, 'reject'))], []);
    },
  },
  {
    name: 'the link the app was started with (take_open) opens the promotion; sandbox means the simulated world',
    async run({ page, base, fx }) {
      await page.addInitScript((id) => {
        window.__ipc.world.startLink = { promotion_id: id, profile: 'sandbox' };
      }, fx.PROMOTION_ID);
      await page.goto(`${base}#/inbox`);
      await page.getByTestId('promotion-title').waitFor();
      assert.equal(new URL(page.url()).hash, `#/promotion/${encodeURIComponent(fx.PROMOTION_ID)}`);
      assert.equal((await calls(page, 'take_open')).length, 1);
      // The fixture's session is the simulated world already: nothing to switch.
      assert.deepEqual(await calls(page, 'open_profile'), []);
      // From a configured profile, a `sandbox` link opens the simulated world (null), not a profile named so.
      await page.waitForFunction(() => window.__ipc.listening('open') > 0);
      await page.evaluate((id) => window.__ipc.emit('open', { promotion_id: id, profile: 'prod-eu' }), fx.PROMOTION_ID);
      await page.waitForFunction(() => window.__ipc.calls.filter((c) => c.cmd === 'open_profile').length === 1);
      await page.evaluate((id) => window.__ipc.emit('open', { promotion_id: id, profile: 'sandbox' }), fx.PROMOTION_ID);
      await page.waitForFunction(() => window.__ipc.calls.filter((c) => c.cmd === 'open_profile').length === 2);
      assert.deepEqual((await calls(page, 'open_profile')).map((c) => c.args), [{ name: 'prod-eu' }, { name: null }]);
      await page.getByTestId('promotion-title').waitFor();
      assert.deepEqual([...(await calls(page, 'approve')), ...(await calls(page, 'reject'))], []);
    },
  },
  {
    name: 'promotion detail shows the evidence and what may be done',
    async run({ page, base, out, fx }) {
      await openInbox(page, base);
      await page.getByTestId('inbox-row').first().click();
      await page.getByTestId('promotion-title').waitFor();
      assert.match(await page.getByTestId('promotion-title').innerText(), /fraud-detector v8 → @champion/);
      assert.deepEqual(await calls(page, 'promotion'), [{ cmd: 'promotion', args: { id: fx.inbox[0].status.promotion.id } }]);
      // Metrics with Rust's deltas and winners.
      const metrics = await page.getByTestId('compare-metrics').innerText();
      assert.match(metrics, /auc\s+0\.9188\s+0\.9312\s+\+0\.0124\s+gate ±0\.2%\s+Challenger/);
      // Only the metric the policy gates on carries the gate's tolerance.
      assert.equal(await page.getByTestId('gate-tolerance').count(), 1);
      assert.match(metrics, /logloss\s+0\.212\s+0\.219\s+\+0\.007\s+Champion/);
      assert.match(await page.getByTestId('compare-params').innerText(), /max_depth\s+6\s+8/);
      // Gates with their numbers, the card, the targets.
      assert.equal(await page.getByTestId('gates').locator('li').count(), 5);
      assert.match(await page.getByTestId('gates').innerText(), /PSI 0\.14 on 380 rows/);
      assert.match(await page.getByTestId('model-card').innerText(), /Card-not-present fraud scoring/);
      assert.match(await page.getByTestId('targets').innerText(), /prod-eu\/risk\/fraud-api/);
      // What the promotion changes in production, per target, as Rust computed it.
      const serving = page.getByTestId('serving-changes');
      assert.equal(await serving.locator(':scope > li').count(), 2);
      const servingText = await serving.innerText();
      assert.match(servingText, /prod-eu\/risk\/fraud-api\s+Deployment\s+2 fields change/i);
      assert.match(servingText, /env\[MODEL_URI\]\s+models:\/fraud-detector\/7\s+models:\/fraud-detector\/8/);
      assert.match(servingText, /spec\.predictor\.canaryTrafficPercent\s+10\s+\(none\)/);
      assert.match(servingText, /spec\.predictor\.model\.storageUri\s+models:\/fraud-detector\/7\s+models:\/fraud-detector\/8/);
      // Allowed actions from review.actions; blocked ones show Rust's reason.
      assert.equal(await page.getByTestId('action-approve').isEnabled(), true);
      assert.equal(await page.getByTestId('action-execute').isDisabled(), true);
      assert.equal(await page.getByTestId('blocked-execute').innerText(), '0 of 2 required approvals count; 2 needed');
      assert.equal(await page.getByTestId('action-rollback').isDisabled(), true);
      assert.match(await page.getByTestId('blocked-rollback').innerText(), /only a promoted or executing one/);
      // The health chart: one line per signal, the deploy markers, a hover read-out.
      await page.getByTestId('chart-latency').locator('svg').waitFor();
      assert.equal(await page.getByTestId('chart-latency').locator('path').count(), 3);
      assert.equal(await page.getByTestId('chart-latency').locator('g.marker').count(), 2);
      assert.deepEqual((await calls(page, 'health'))[0].args, {
        cluster: 'prod-eu', namespace: 'risk', name: 'fraud-api', windowMs: 21600000, columns: 320,
      });
      const svg = page.getByTestId('chart-latency').locator('svg');
      const box = await svg.boundingBox();
      await svg.hover({ position: { x: box.width * 0.6, y: box.height / 2 } });
      await page.waitForFunction(() => /p99 [\d.]+ ms/.test(document.querySelector('[data-testid=chart-latency-readout]').textContent));
      await shootWhole(page, join(out, 'detail.png'));
    },
  },
  {
    name: 'approve with a comment calls approve with the id and the comment',
    async run({ page, base, fx }) {
      await openDetail(page, base, fx.inbox[0].status.promotion.id);
      await page.getByTestId('comment').fill('Checked recall on the November holdout; latency fine.');
      await page.getByTestId('action-approve').click();
      await page.getByTestId('notice').waitFor();
      assert.equal(await page.getByTestId('notice').innerText(), 'Approved');
      assert.deepEqual(await calls(page, 'approve'), [
        { cmd: 'approve', args: { id: fx.inbox[0].status.promotion.id, comment: 'Checked recall on the November holdout; latency fine.' } },
      ]);
      // The review Rust answered with is shown: my approval counts, a second is blocked.
      const approvals = await page.getByTestId('approvals').innerText();
      assert.match(approvals, /dave\s+approved\s+counts/);
      assert.match(approvals, /Checked recall on the November holdout/);
      assert.equal(await page.getByTestId('action-approve').isDisabled(), true);
      assert.match(await page.getByTestId('blocked-approve').innerText(), /a second decision does not count/);
      assert.equal(await page.getByTestId('comment').inputValue(), '');
    },
  },
  {
    name: 'reject with an empty comment is refused without a call, then works with one',
    async run({ page, base, out, fx }) {
      const id = fx.inbox[0].status.promotion.id;
      await openDetail(page, base, id);
      assert.equal(await page.getByTestId('action-reject').isDisabled(), true);
      assert.match(await page.getByTestId('reject-hint').innerText(), /A rejection needs a comment/);
      // Whitespace is blank too; the r key is refused the same way.
      await page.getByTestId('comment').fill('   ');
      assert.equal(await page.getByTestId('action-reject').isDisabled(), true);
      await page.getByTestId('comment').blur();
      await page.locator('body').click({ position: { x: 5, y: 300 } });
      await page.keyboard.press('r');
      await page.waitForFunction(() => document.querySelector('[data-testid=reject-hint]')?.classList.contains('loud'));
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'comment');
      await page.screenshot({ path: join(out, 'reject-refused.png') });
      assert.deepEqual(await calls(page, 'reject'), []);

      await page.getByTestId('comment').fill('Logloss got worse; retrain with the calibrated loss.');
      assert.equal(await page.getByTestId('action-reject').isEnabled(), true);
      assert.equal(await page.getByTestId('reject-hint').count(), 0);
      await page.getByTestId('action-reject').click();
      await page.getByTestId('notice').waitFor();
      assert.deepEqual(await calls(page, 'reject'), [
        { cmd: 'reject', args: { id, comment: 'Logloss got worse; retrain with the calibrated loss.' } },
      ]);
      assert.match(await page.getByTestId('approvals').innerText(), /dave\s+rejected/);
    },
  },
  {
    name: 'execute where review.actions allows it, confirming the inconclusive gates its note names',
    async run({ page, base, fx }) {
      await openDetail(page, base, fx.APPROVED_ID);
      assert.equal(await page.getByTestId('action-approve').isDisabled(), true);
      assert.equal(await page.getByTestId('action-execute').isEnabled(), true);
      assert.match(await page.getByTestId('note-execute').innerText(), /inconclusive gates need your confirmation: drift/);
      // Its targets are a Deployment and an InferenceService: no "Run now".
      assert.equal(await page.getByTestId('run-now').count(), 0);
      await page.getByTestId('confirm-inconclusive').check();
      await page.getByTestId('action-execute').click();
      await page.getByTestId('notice').waitFor();
      assert.deepEqual(await calls(page, 'execute'), [{ cmd: 'execute', args: { id: fx.APPROVED_ID, confirmInconclusive: true, runNow: null } }]);
      assert.match(await page.getByTestId('notice').innerText(), /churn-model @champion -> v12/);
      // The detail is read again after the execution.
      assert.equal((await calls(page, 'promotion')).length, 2);
    },
  },
  {
    name: 'a promotion of CronJobs alone offers Run now, and execute sends it (issue 14)',
    async run({ page, base, out, fx }) {
      await openDetail(page, base, fx.APPROVED_CRON_ID);
      const box = page.getByTestId('run-now');
      assert.equal(await box.isVisible(), true);
      assert.equal(await box.isChecked(), false, 'off until the reviewer asks');
      await box.check();
      await page.screenshot({ path: join(out, 'run-now.png') });
      await page.getByTestId('action-execute').click();
      await page.getByTestId('notice').waitFor();
      assert.deepEqual(await calls(page, 'execute'), [
        { cmd: 'execute', args: { id: fx.APPROVED_CRON_ID, confirmInconclusive: null, runNow: true } },
      ]);
    },
  },
  {
    name: 'an XSS payload in a model name and a tag shows as text and never runs',
    // Without the CSP, an injected handler or script would run: this test
    // sees the markup itself, not the CSP's protection.
    bypassCSP: true,
    async run({ page, base, out, fx }) {
      const payload = fx.XSS;
      await openInbox(page, base);
      const row = page.getByTestId('inbox-row').nth(1);
      assert.ok((await row.innerText()).includes(payload), 'the inbox row shows the payload as text');
      await row.click();
      await page.getByTestId('promotion-title').waitFor();
      assert.ok((await page.getByTestId('promotion-title').textContent()).includes(payload));
      assert.ok((await page.getByTestId('compare-tags').innerText()).includes(payload), 'the tag shows as text');
      await page.getByTestId('schema-change').nth(1).waitFor();
      assert.equal(await page.getByTestId('schema-change').nth(1).locator('td').nth(1).textContent(), payload, 'the column name shows as text');
      assert.ok((await page.getByTestId('compare-data').innerText()).includes(payload), 'the dataset context shows as text');
      assert.ok((await page.getByTestId('serving-changes').innerText()).includes(`models:/${payload}/3`), 'the storage URI shows as text');
      await page.getByTestId('nav-fleet').click();
      await page.getByTestId('fleet-row').first().waitFor();
      assert.ok((await page.getByTestId('fleet-row').nth(3).innerText()).includes(payload));
      await page.getByTestId('nav-inbox').click();
      await page.getByTestId('inbox-row').first().waitFor();
      await page.screenshot({ path: join(out, 'xss-as-text.png') });
      const dom = await page.evaluate(() => ({
        pwned: window.__pwned,
        imgs: document.querySelectorAll('img[src="x"]').length,
        scripts: [...document.scripts].filter((s) => s.textContent.includes('__pwned')).length,
      }));
      assert.deepEqual(dom, { pwned: undefined, imgs: 0, scripts: 0 });
    },
  },
  {
    name: 'a 10,000-row fleet keeps few rows in the DOM and scrolls to the last',
    fleetSize: 10_000,
    async run({ page, base, out }) {
      await page.goto(`${base}#/fleet`);
      await page.getByTestId('fleet-row').first().waitFor();
      assert.equal(await page.getByTestId('fleet-count').innerText(), '10,000 of 10,000 workloads');
      const inDom = await page.getByTestId('fleet-row').count();
      assert.ok(inDom > 10 && inDom < 200, `rows in the DOM: ${inDom}`);
      await page.screenshot({ path: join(out, 'fleet.png') });

      // Scroll through in 60 frames and report (not assert: no timed
      // assertions) the long tasks Chromium saw, for docs/benchmarks.md.
      const perf = await page.getByTestId('fleet-scroller').evaluate(async (el) => {
        const tasks = [];
        const obs = new PerformanceObserver((l) => tasks.push(...l.getEntries().map((e) => e.duration)));
        obs.observe({ type: 'longtask' });
        const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
        const steps = 60;
        for (let i = 1; i <= steps; i++) {
          el.scrollTop = (el.scrollHeight * i) / steps;
          await frame();
        }
        await frame();
        obs.disconnect();
        return { longTasks: tasks.length, maxMs: Math.max(0, ...tasks) };
      });
      console.log(`     fleet scroll, 10,000 rows, 60 frames: ${perf.longTasks} long tasks (>50 ms), longest ${perf.maxMs.toFixed(0)} ms`);
      const last = page.locator('[data-testid=fleet-row][data-index="9999"]');
      await last.waitFor();
      assert.match(await last.innerText(), /wl-09999/);
      assert.ok(await last.isVisible());
      assert.ok((await page.getByTestId('fleet-row').count()) < 200);
      await page.screenshot({ path: join(out, 'fleet-end.png') });

      // Sort by workload, descending: wl-09999 first.
      await page.getByTestId('fleet-scroller').evaluate((el) => (el.scrollTop = 0));
      await page.getByTestId('sort-name').click();
      await page.waitForFunction(() => document.querySelector('[data-testid=fleet-row][data-index="0"]')?.textContent.includes('wl-09999'));
      // Filter: ten names start with wl-0999.
      await page.getByTestId('fleet-filter').fill('wl-0999');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=fleet-row]').length === 10);
      assert.equal(await page.getByTestId('fleet-count').innerText(), '10 of 10,000 workloads');
    },
  },
  {
    name: 'model versions and a comparison of two of them',
    async run({ page, base, out }) {
      await page.goto(`${base}#/model/fraud-detector`);
      await page.getByTestId('versions').waitFor();
      assert.equal(await page.getByTestId('versions').locator('tbody tr').count(), 3);
      assert.match(await page.getByTestId('versions').innerText(), /v7\s+@champion/);
      await page.getByTestId('compare-button').click();
      await page.getByTestId('compare').waitFor();
      const sent = await calls(page, 'compare');
      assert.deepEqual(sent, [{ cmd: 'compare', args: { model: 'fraud-detector', a: '7', b: '8' } }]);
      await shootWhole(page, join(out, 'model.png'));
    },
  },
  {
    name: 'a metric across versions: points, aliases marked, another metric picked, the missing named',
    async run({ page, base, out, fx }) {
      await page.goto(`${base}#/model/fraud-detector`);
      const panel = page.getByTestId('metric-across-versions');
      await panel.locator('svg').waitFor();
      assert.deepEqual((await calls(page, 'metric_history')).map((c) => c.args), [{ model: 'fraud-detector', metric: null }]);
      assert.equal(await page.getByTestId('metric-select').inputValue(), 'auc');
      const pts = page.getByTestId('metric-point');
      assert.equal(await pts.count(), 3);
      // x = version number: left to right v6, v7, v8; y = value (higher is up).
      const at = await pts.evaluateAll((cs) =>
        cs.map((c) => ({ v: c.dataset.version, x: Number(c.getAttribute('cx')), y: Number(c.getAttribute('cy')), aliased: c.classList.contains('aliased') })),
      );
      assert.deepEqual(at.map((p) => p.v), ['6', '7', '8']);
      assert.ok(at[0].x < at[1].x && at[1].x < at[2].x, JSON.stringify(at));
      assert.ok(at[0].y > at[1].y && at[1].y > at[2].y, JSON.stringify(at));
      assert.deepEqual(at.map((p) => p.aliased), [false, true, true]);
      assert.deepEqual(await page.getByTestId('metric-alias').allTextContents(), ['@champion', '@challenger']);
      assert.equal(await page.getByTestId('metric-missing').count(), 0);
      // Hover read-out of the nearest version.
      await pts.nth(1).scrollIntoViewIfNeeded();
      const box = await pts.nth(1).boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForFunction(() => /v7\s+auc 0\.921\s+@champion/.test(document.querySelector('[data-testid=metric-readout]').innerText));
      await shootWhole(page, join(out, 'model-metric.png'));

      // Another metric: Rust is asked for it; a version without it is named with Rust's reason.
      await page.getByTestId('metric-select').selectOption('f1');
      await page.getByTestId('metric-missing').waitFor();
      assert.deepEqual((await calls(page, 'metric_history')).map((c) => c.args).at(-1), { model: 'fraud-detector', metric: 'f1' });
      assert.equal(await pts.count(), 2);
      assert.match(await page.getByTestId('metric-missing').innerText(), /Without f1:\s+v6 \(its run did not log f1\)/);
      await page.getByTestId('metric-across-versions').screenshot({ path: join(out, 'model-metric-f1.png') });

      // A hostile metric name is an option and a reason as text; nothing runs.
      await page.getByTestId('metric-select').selectOption(fx.XSS);
      await page.getByTestId('metric-empty').waitFor();
      assert.equal(await page.getByTestId('metric-empty').innerText(), `No version has ${fx.XSS}.`);
      assert.ok((await page.getByTestId('metric-missing').innerText()).includes(`its run did not log ${fx.XSS}`));
      assert.equal(await page.locator('img[src=x]').count(), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
    },
  },
  {
    name: 'health charts draw the SLO thresholds and zoom on a dragged window',
    async run({ page, base, out, fx }) {
      await openDetail(page, base, fx.inbox[0].status.promotion.id);
      const chart = page.getByTestId('chart-latency');
      const svg = chart.locator('svg');
      await svg.waitFor();
      // Rust's thresholds, in the chart's units (p99 50 ms, errors 1%).
      assert.equal(await page.getByTestId('chart-latency-threshold').count(), 1);
      assert.equal(await page.getByTestId('chart-latency-threshold-key').innerText(), 'SLO p99 50 ms');
      assert.equal(await page.getByTestId('chart-errors-threshold-key').innerText(), 'SLO errors 1%');
      assert.equal(await page.getByTestId('chart-traffic-threshold').count(), 0);
      // The threshold sits at 50 ms on the y axis: halfway between the 40 and 60 ms grid lines.
      const at = await chart.evaluate((el) => {
        const tick = (label) => [...el.querySelectorAll('text.tick')].find((t) => t.textContent === label);
        return {
          th: Number(el.querySelector('line.threshold').getAttribute('y1')),
          y40: Number(tick('40 ms').getAttribute('y')) - 4,
          y60: Number(tick('60 ms').getAttribute('y')) - 4,
        };
      });
      assert.ok(Math.abs(at.th - (at.y40 + at.y60) / 2) < 1, JSON.stringify(at));
      const range = async () => svg.evaluate((e) => [Number(e.dataset.from), Number(e.dataset.to)]);
      const whole = await range();
      const pathLen = async () => chart.locator('path').first().evaluate((p) => p.getAttribute('d').split(/[ML]/).length);
      const before = await pathLen();
      // Drag across the middle fifth of the plot.
      await svg.scrollIntoViewIfNeeded();
      let box = await svg.boundingBox();
      let y = box.y + box.height / 2;
      await page.mouse.move(box.x + box.width * 0.4, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.5, y, { steps: 4 });
      await page.getByTestId('chart-latency-selection').waitFor();
      await page.mouse.move(box.x + box.width * 0.6, y, { steps: 4 });
      await page.mouse.up();
      await page.getByTestId('chart-latency-reset').waitFor();
      const zoomed = await range();
      assert.ok(zoomed[0] > whole[0] && zoomed[1] < whole[1], `${zoomed} within ${whole}`);
      const span = (zoomed[1] - zoomed[0]) / (whole[1] - whole[0]);
      assert.ok(span > 0.15 && span < 0.25, `zoomed to ${span} of the window`);
      assert.ok((await pathLen()) < before / 2, 'the zoomed chart draws only the window');
      // Only the chart dragged zooms; no new IPC call (same data).
      assert.equal(await page.getByTestId('chart-traffic-reset').count(), 0);
      assert.equal((await calls(page, 'health')).length, 1);
      // The read-out follows the zoomed axis.
      await page.mouse.move(box.x + box.width * 0.5, y);
      await page.waitForFunction(() => /p99 [\d.]+ ms/.test(document.querySelector('[data-testid=chart-latency-readout]').textContent));
      await shootWhole(page, join(out, 'detail-zoomed.png'));
      await page.getByTestId('chart-latency-reset').click();
      assert.deepEqual(await range(), whole);
      assert.equal(await page.getByTestId('chart-latency-reset').count(), 0);
      // The screenshot scrolled the page: where the plot is now.
      await svg.scrollIntoViewIfNeeded();
      box = await svg.boundingBox();
      y = box.y + box.height / 2;
      // A click is not a drag: no zoom. A double-click returns from a zoom.
      await page.mouse.click(box.x + box.width * 0.5, y);
      assert.deepEqual(await range(), whole);
      await page.mouse.move(box.x + box.width * 0.3, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.7, y, { steps: 4 });
      await page.mouse.up();
      await page.getByTestId('chart-latency-reset').waitFor();
      await page.mouse.dblclick(box.x + box.width * 0.5, y);
      await page.waitForFunction(() => document.querySelector('[data-testid=chart-latency-reset]') === null);
      assert.deepEqual(await range(), whole);
    },
  },
  {
    name: 'Save PNG/SVG asks Rust for the chart as shown (the zoom window) and shows the path or the refusal',
    async run({ page, base, fx }) {
      await openDetail(page, base, fx.inbox[0].status.promotion.id);
      const chart = page.getByTestId('chart-latency');
      const svg = chart.locator('svg');
      await svg.waitFor();
      const range = async () => svg.evaluate((e) => [Number(e.dataset.from), Number(e.dataset.to)]);
      const whole = await range();
      const asked = (await calls(page, 'health'))[0].args;
      // Zoom on the middle of the latency chart, then save it as PNG.
      await svg.scrollIntoViewIfNeeded();
      const box = await svg.boundingBox();
      const y = box.y + box.height / 2;
      await page.mouse.move(box.x + box.width * 0.3, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, y, { steps: 4 });
      await page.mouse.up();
      await page.getByTestId('chart-latency-reset').waitFor();
      const zoomed = await range();
      assert.ok(zoomed[0] > whole[0] && zoomed[1] < whole[1], `${zoomed} within ${whole}`);
      await page.getByTestId('chart-latency-save-png').click();
      await page.getByTestId('health-saved').waitFor();
      let saves = await calls(page, 'save_chart');
      assert.equal(saves.length, 1);
      const a = saves[0].args;
      assert.deepEqual(
        { cluster: a.cluster, namespace: a.namespace, name: a.name, windowMs: a.windowMs },
        { cluster: asked.cluster, namespace: asked.namespace, name: asked.name, windowMs: asked.windowMs },
      );
      assert.equal(a.chart, 'latency');
      assert.equal(a.format, 'png');
      assert.deepEqual([a.fromMs, a.toMs], [Math.floor(zoomed[0]), Math.ceil(zoomed[1])]);
      assert.match(a.fileName, /^[A-Za-z0-9][A-Za-z0-9._-]*-latency-\d{8}-\d{6}$/);
      // Only names cross: no data, no path.
      assert.deepEqual(Object.keys(a).sort(), ['chart', 'cluster', 'fileName', 'format', 'fromMs', 'name', 'namespace', 'toMs', 'windowMs']);
      assert.equal(
        await page.getByTestId('health-saved').innerText(),
        `Saved the latency chart to /home/reviewer/Downloads/${a.fileName}.png`,
      );
      // The traffic chart is not zoomed: its whole window, as SVG.
      await page.getByTestId('chart-traffic-save-svg').click();
      await page.waitForFunction(() => window.__ipc.calls.filter((c) => c.cmd === 'save_chart').length === 2);
      saves = await calls(page, 'save_chart');
      const t = saves[1].args;
      assert.equal(t.chart, 'traffic');
      assert.equal(t.format, 'svg');
      assert.deepEqual([t.fromMs, t.toMs], whole);
      // A refusal shows Rust's code and message.
      await page.evaluate(() => {
        window.__ipc.world.saveChartError = { code: 'conflict', message: 'save chart: errors.png already exists in /home/reviewer/Downloads; choose another name' };
      });
      await page.getByTestId('chart-errors-save-png').click();
      await page.getByTestId('health-save-failed').waitFor();
      assert.equal(
        await page.getByTestId('health-save-failed').innerText(),
        'Could not save the errors chart (conflict): save chart: errors.png already exists in /home/reviewer/Downloads; choose another name',
      );
      assert.equal(await page.getByTestId('health-saved').count(), 0);
    },
  },
  {
    name: 'audit trail shows verify status and exports JSON',
    async run({ page, base, out }) {
      await page.goto(`${base}#/audit`);
      await page.getByTestId('audit-row').first().waitFor();
      assert.equal(await page.getByTestId('audit-row').count(), 3);
      assert.match(await page.getByTestId('verify').innerText(), /chain verified \(3 entries/);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()]);
      assert.equal(download.suggestedFilename(), 'modeldeck-audit.json');
      const path = join(out, 'audit-export.json');
      await download.saveAs(path);
      const { readFileSync } = await import('node:fs');
      const exported = JSON.parse(readFileSync(path, 'utf8'));
      assert.equal(exported.entries.length, 3);
      assert.equal(exported.verify.ok, true);
      await page.getByTestId('audit-model').fill('fraud-detector');
      await page.getByTestId('audit-model').press('Enter');
      await page.waitForFunction(() => location.hash === '#/audit/fraud-detector');
      const sent = await calls(page, 'audit');
      assert.deepEqual(sent.map((c) => c.args), [{ model: null }, { model: 'fraud-detector' }]);
      await page.screenshot({ path: join(out, 'audit.png') });
    },
  },
  {
    name: 'dark theme follows the system and the toggle; the profile switcher opens the simulated world',
    colorScheme: 'dark',
    async run({ page, base, out, fx }) {
      await openDetail(page, base, fx.inbox[0].status.promotion.id);
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      await page.getByTestId('chart-latency').locator('svg').waitFor();
      await shootWhole(page, join(out, 'detail-dark.png'));
      await page.getByTestId('theme-toggle').click();
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
      await page.getByTestId('profile-switcher').selectOption('prod-eu');
      await page.getByTestId('inbox-row').first().waitFor();
      assert.deepEqual((await calls(page, 'open_profile')).map((c) => c.args), [{ name: 'prod-eu' }]);
      await page.getByTestId('profile-switcher').selectOption({ label: 'Simulated world' });
      await page.waitForFunction(() => window.__ipc.calls.filter((c) => c.cmd === 'open_profile').length === 2);
      assert.deepEqual((await calls(page, 'open_profile'))[1].args, { name: null });
    },
  },
];
