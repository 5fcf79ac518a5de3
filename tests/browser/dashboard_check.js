// Drives Debian's chromium (playwright-core, no downloaded browser) through the dashboard of a
// running `lrsweep run`: every page loads without a console error, the ranking sorts on a click,
// a trial that finishes shows up without a reload, the trial page draws its curves, and a
// screenshot of each page is kept.
//
//   node tests/browser/dashboard_check.js http://127.0.0.1:PORT/ SCREENSHOT_DIR
//
// Exit code 0 when every check passed; otherwise 1, with what failed on stderr.
'use strict';
const {chromium} = require('playwright-core');
const path = require('path');

const [base, shots] = process.argv.slice(2);
const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

async function api(route) {
  const response = await fetch(new URL('/api/v1' + route, base));
  return response.json();
}

async function openPage(page, route, ready) {
  await page.goto(new URL(route, base).toString());
  await page.waitForSelector('body[data-rendered="true"]', {timeout: 20000});
  if (ready) await page.waitForSelector(ready, {timeout: 20000});
}

async function finishedCount(page) {
  const text = await page.locator('.card', {hasText: 'trials finished'}).locator('.value').innerText();
  return Number(text.split('/')[0].trim());
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({viewport: {width: 1300, height: 1000}});
  const errors = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(error.message));
  let navigations = 0;
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations++; });

  // Sweeps
  await openPage(page, '/', '#sweeps tbody tr');
  const sweeps = (await api('/sweeps')).sweeps;
  check(sweeps.length >= 1, 'the sweeps page lists the running sweep');
  const sweep = sweeps.find((s) => s.state === 'RUNNING') || sweeps[0];
  await page.screenshot({path: path.join(shots, 'dashboard-sweeps.png'), fullPage: true});

  // One sweep: charts, then live: a trial finishing shows without a reload.
  await openPage(page, `/sweeps/${sweep.id}`, '#ranking');
  await page.waitForSelector('#chart-curves svg', {timeout: 20000, state: 'attached'});
  const before = await finishedCount(page);
  const navigationsBefore = navigations;
  await page.waitForFunction(
      (n) => {
        const card = [...document.querySelectorAll('.card')].find((c) => c.textContent.includes('trials finished'));
        return card && Number(card.querySelector('.value').textContent.split('/')[0]) > n;
      }, before, {timeout: 90000});
  check(navigations === navigationsBefore, `a finishing trial showed without a reload (${before} -> ${await finishedCount(page)} finished)`);
  const drawn = (chart) => `${chart} svg g.mark-line path, ${chart} svg g.mark-symbol path`;
  await page.waitForSelector(drawn('#chart-lr'), {timeout: 20000, state: 'attached'});
  check(await page.locator(drawn('#chart-lr')).count() > 0, 'the metric-vs-peak-LR chart draws');
  // Parallel coordinates (a line per configuration) and parameter importance (a bar per varying
  // parameter) appear once enough trials are scored; the page redraws as they finish.
  await page.waitForSelector('#chart-parallel svg g.mark-line path', {timeout: 90000, state: 'attached'});
  await page.waitForSelector('#chart-importance svg g.mark-rect path', {timeout: 90000, state: 'attached'});
  const bars = await page.locator('#chart-importance svg g.mark-rect path').count();
  // (schedule.lr varies among the first trials; schedule.type once a constant-LR trial is scored.)
  check(bars >= 1 && bars <= 2, `parameter importance draws a bar per varying parameter (${bars})`);
  const pageErrors = await page.locator('#errors').textContent();
  check(!pageErrors.trim(), `the page reported no error${pageErrors.trim() ? ': ' + pageErrors : ''}`);

  // The ranking sorts on a click: peak LR ascending, then descending.
  const peakLrs = async () => page.$$eval('#ranking tbody tr', (rows) => rows.map((r) => Number(r.children[3].textContent)));
  await page.click('#ranking th[data-key="peak_lr"]');
  await page.waitForSelector('#ranking th.sorted-asc[data-key="peak_lr"]');
  const ascending = await peakLrs();
  await page.click('#ranking th[data-key="peak_lr"]');
  await page.waitForSelector('#ranking th.sorted-desc[data-key="peak_lr"]');
  const descending = await peakLrs();
  const sorted = (xs, sign) => xs.every((x, i) => i === 0 || sign * (x - xs[i - 1]) >= 0);
  check(ascending.length > 1 && sorted(ascending, 1) && sorted(descending, -1) &&
        ascending[0] !== descending[0], `the ranking sorts by peak LR on a click (${ascending.length} rows)`);
  // A tag and a note, typed while the page keeps updating, are saved and shown.
  await page.fill('#add-tag', 'browser-check');
  await page.fill('#note', 'tagged by the browser check');
  await page.click('#labels button[type="submit"]');
  const tagged = await page.waitForSelector('#tags .tag:has-text("browser-check")', {timeout: 20000})
      .then(() => true, () => false);
  const labelled = (await api('/sweeps/' + sweep.id)).sweep;
  check(tagged && labelled.tags.includes('browser-check') && labelled.note === 'tagged by the browser check',
        'a tag and a note typed on the sweep page are saved and shown');
  await page.screenshot({path: path.join(shots, 'dashboard-sweep.png'), fullPage: true});

  // A finished trial's page draws its curves and the planned vs applied LR.
  const done = (await api(`/sweeps/${sweep.id}/trials?state=COMPLETED&limit=1`)).trials[0];
  await openPage(page, `/sweeps/${sweep.id}/trials/${done.trial}`, '#chart-trial svg');
  await page.waitForSelector(drawn('#chart-trial-lr'), {timeout: 20000, state: 'attached'});
  check(await page.locator(drawn('#chart-trial')).count() > 0 &&
        await page.locator(drawn('#chart-trial-lr')).count() >= 2,
        `trial ${done.trial}'s page draws its curves and its planned and applied LR`);
  const events = await page.$$eval('#timeline tbody tr', (rows) => rows.map((r) => r.children[2].textContent));
  check(events[0] === 'leased' && events[events.length - 1] === 'completed',
        `trial ${done.trial}'s timeline shows its attempts from lease to completion (${events.join(', ')})`);
  await page.screenshot({path: path.join(shots, 'dashboard-trial.png'), fullPage: true});

  // The sweeps page filters by that tag.
  await openPage(page, '/', '#sweeps tbody tr');
  await page.selectOption('#sweep-tag', 'browser-check');
  const filtered = await page.waitForFunction(
      (id) => document.querySelectorAll('#sweeps tbody tr').length === 1 &&
               document.querySelector('#sweeps tbody').textContent.includes(id), sweep.id,
      {timeout: 20000}).then(() => true, () => false);
  check(filtered, 'the sweeps page filters by tag');

  // Workers
  await openPage(page, '/workers', '#workers');
  check(await page.locator('#workers tbody tr').count() >= 1, 'the workers page lists the run\'s workers');
  // The training worker's steps/s shows once the page refreshed a second or more later (the
  // sweep may also have ended by then, leaving no worker training).
  const rate = await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('#workers tbody tr')].map((r) => r.children);
    return cells.some((c) => c[1].textContent === 'training' && Number(c[4].textContent) > 0) ||
           cells.every((c) => c[1].textContent !== 'training');
  }, null, {timeout: 30000}).then(() => true, () => false);
  check(rate, 'a training worker\'s steps/s shows on the workers page');
  await page.screenshot({path: path.join(shots, 'dashboard-workers.png'), fullPage: true});

  check(errors.length === 0, `no console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);

  // An unknown sweep is a page that says so (its API calls are 404s, which the console shows).
  await openPage(page, '/sweeps/no-such-sweep');
  check((await page.locator('h1').innerText()) === 'Not found', 'an unknown sweep says it is not found');
  await browser.close();
}

main().then(() => {
  if (failures.length) {
    console.error(`${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}, (error) => {
  console.error('dashboard check failed: ' + (error.stack || error));
  process.exit(1);
});
