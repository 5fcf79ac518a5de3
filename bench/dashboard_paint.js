// The browser's side of the dashboard's cost: Chromium (Debian's, driven by playwright-core)
// opens each page of a running dashboard in a fresh context and times, from navigation, the first
// contentful paint, the page rendered with its data (app.js sets body[data-rendered]), and its
// charts drawn; and counts the bytes of the API answers the page fetched. One JSON line per page.
//
//   NODE_PATH=tests/browser/node_modules node bench/dashboard_paint.js URL SWEEP TRIAL LABEL
'use strict';
const {chromium} = require('playwright-core');

const [base, sweep, trial, label] = process.argv.slice(2);
const pages = [
  ['sweeps', '/', '#sweeps tbody tr'],
  ['sweep', `/sweeps/${sweep}`, '#chart-curves svg g.mark-line path'],
  ['trial', `/sweeps/${sweep}/trials/${trial}`, '#chart-trial svg g.mark-line path'],
];

async function measure(browser, [name, route, drawn]) {
  const context = await browser.newContext({viewport: {width: 1300, height: 1000}});
  const page = await context.newPage();
  let apiBytes = 0;
  page.on('response', async (response) => {
    if (!response.url().includes('/api/v1/') || response.url().includes('/changes')) return;
    try { apiBytes += (await response.body()).length; } catch (error) { /* navigated away */ }
  });
  const start = Date.now();
  await page.goto(new URL(route, base).toString());
  await page.waitForSelector('body[data-rendered="true"]', {timeout: 300000});
  const rendered = Date.now() - start;
  await page.waitForSelector(drawn, {timeout: 300000, state: 'attached'});
  const charts = Date.now() - start;
  const paint = await page.evaluate(() => {
    const entry = performance.getEntriesByName('first-contentful-paint')[0];
    return entry ? entry.startTime : null;
  });
  await context.close();
  return {page: name, sweep_trials: Number(label), first_contentful_paint_ms: paint && Math.round(paint),
          rendered_ms: rendered, charts_drawn_ms: charts, api_bytes: apiBytes};
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  for (const spec of pages) console.log(JSON.stringify(await measure(browser, spec)));
  await browser.close();
})().catch((error) => {
  console.error('dashboard_paint: ' + (error.stack || error));
  process.exit(1);
});
