// Measures the web app in headless Chromium (not a test: numbers for
// docs/PERFORMANCE.md). Serve a build first (`cargo xtask serve`), then:
//
//   cargo run --release -p farebox-core --example trace_export > /tmp/export.jsonl
//   node web/test/perf.mjs http://127.0.0.1:8080/ /tmp/export.jsonl
//
// Prints, as medians of 5 cold loads (a fresh browser context each: empty
// cache, no service worker): time to interactive (the module compiled, the
// app mounted) and to the first estimate (the worker started, o200k_base
// fetched and loaded, a request counted and priced); the same for a link
// that carries a request (its bounds from the text's length, then the
// count); then the time to import the export file and show its dashboard,
// the JS heap and the page's WebAssembly memory after it, and the time to
// split the daily chart by model, to narrow it to a day and to filter the
// dashboard to a model.

import { statSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [base = 'http://127.0.0.1:8080/', exportFile] = process.argv.slice(2);
// `--enable-precise-memory-info`: else Chromium updates the figure only now and then
// (`usedJSHeapSize` as read includes garbage not yet collected). The heap is read
// as used, then after a full collection from outside the page (DevTools'
// `HeapProfiler.collectGarbage`): what is live. A `gc()` called from the page's
// own script (`--expose-gc`) leaves ~15–36 MiB of the import's garbage in
// place, which a heap snapshot then shows is referenced by nothing.
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--enable-precise-memory-info'] });
const CHAT = JSON.stringify({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'Hello world' }] });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const interactive = [];
const firstEstimate = [];
for (let i = 0; i < 5; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + '#estimate');
  await page.waitForSelector('html[data-ready="true"] textarea#input');
  interactive.push(await page.evaluate(() => performance.getEntriesByName('farebox-ready')[0].startTime));
  await page.fill('#input', CHAT);
  await page.waitForSelector('[data-testid=tokens][data-counted=true]');
  firstEstimate.push(await page.evaluate(() => performance.now()));
  await context.close();
}
console.log(`time to interactive: median ${median(interactive).toFixed(0)} ms (${interactive.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`first estimate shown (from navigation, typing included): median ${median(firstEstimate).toFixed(0)} ms`);

// A link with the request in its fragment, opened cold: when the bounds and
// the count first show, in ms since navigation started.
{
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + '#estimate');
  await page.waitForSelector('html[data-ready="true"] textarea#input');
  await page.fill('#input', CHAT);
  await page.waitForFunction(() => /[?&]i=/.test(location.hash));
  const link = page.url();
  await context.close();
  const bounded = [];
  const counted = [];
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.timeline_ = {};
      new MutationObserver(() => {
        const tokens = document.querySelector('[data-testid=tokens]');
        if (tokens) window.timeline_[tokens.dataset.counted === 'true' ? 'counted' : 'bounded'] ??= performance.now();
      }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.goto(link);
    await page.waitForSelector('[data-testid=tokens][data-counted=true]');
    const t = await page.evaluate(() => window.timeline_);
    // No bounds when the vocabulary arrived before the first estimate was asked for.
    if (t.bounded !== undefined) bounded.push(t.bounded);
    counted.push(t.counted);
    await context.close();
  }
  const list = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
  const shown = bounded.length ? `bounds shown at median ${median(bounded).toFixed(0)} ms (${list(bounded)}; in ${bounded.length} of 5 loads)` : 'no bounds shown (the vocabulary came first)';
  console.log(`a link opened: ${shown}, the count at median ${median(counted).toFixed(0)} ms (${list(counted)})`);
}

if (exportFile) {
  const size = statSync(exportFile).size;
  const context = await browser.newContext();
  const page = await context.newPage();
  // The page's WebAssembly memory, kept where the measurement can read it.
  await page.addInitScript(() => {
    const instantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = async function (...args) {
      const made = await instantiate.apply(this, args);
      window.wasmMemory_ = (made.instance ?? made).exports.memory;
      return made;
    };
  });
  await page.goto(base + '#traces');
  await page.waitForSelector('html[data-ready="true"] #trace-file');
  const started = Date.now();
  await page.setInputFiles('#trace-file', exportFile);
  await page.waitForSelector('[data-testid=total-cost]', { timeout: 600_000 });
  const wall = Date.now() - started;
  const summary = await page.textContent('[data-testid=import-summary]');
  const devtools = await page.context().newCDPSession(page);
  const readMemory = async () => {
    const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    await devtools.send('HeapProfiler.collectGarbage');
    return page.evaluate((heap) => ({ heap, live: performance.memory?.usedJSHeapSize ?? 0, wasm: window.wasmMemory_?.buffer.byteLength ?? 0 }), heap);
  };
  const mib = (m) => `JS heap ${(m.heap / 1048576).toFixed(0)} MiB (${(m.live / 1048576).toFixed(0)} MiB live after a GC), wasm memory ${(m.wasm / 1048576).toFixed(0)} MiB`;
  const memory = await readMemory();
  console.log(`import of ${(size / 1e6).toFixed(1)} MB: dashboard after ${(wall / 1000).toFixed(1)} s (${(size / 1048576 / (wall / 1000)).toFixed(1)} MiB/s); app says: ${summary}`);
  console.log(`after import: ${mib(memory)}`);
  // The daily chart recomputed from the report's per-call records (the file
  // is not read again): a change, then until the chart's next frame.
  const redraw = (change, drawn) => page.evaluate(({ change, drawn }) => new Promise((done) => {
    const t0 = performance.now();
    new MutationObserver((_, o) => {
      if (!document.querySelector(drawn)) return;
      o.disconnect();
      requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0)));
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
    const [selector, value] = change;
    const field = document.querySelector(selector);
    field.value = value;
    field.dispatchEvent(new Event('change', { bubbles: true }));
  }), { change, drawn });
  const split = [];
  const narrowed = [];
  const last = await page.getAttribute('[data-testid=range-to]', 'max');
  for (let i = 0; i < 5; i++) {
    await page.selectOption('[data-testid=split]', '');
    await page.waitForFunction(() => !document.querySelector('[data-testid=split-legend]'));
    split.push(await redraw(['[data-testid=split]', 'model'], '[data-testid=split-legend] li'));
    narrowed.push(await redraw(['[data-testid=range-from]', last], '[data-testid=day-picker][aria-valuemax="0"]'));
    await page.click('[data-testid=range-reset]');
  }
  // Drill-down: the costliest model clicked in its table, the dashboard
  // filtered to it; then "All calls".
  const filtered = [];
  for (let i = 0; i < 5; i++) {
    filtered.push(await page.evaluate(() => new Promise((done) => {
      const t0 = performance.now();
      new MutationObserver((_, o) => {
        if (!/Model:/.test(document.querySelector('[data-testid=breadcrumbs]')?.textContent)) return;
        o.disconnect();
        requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0)));
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
      document.querySelector('[data-testid=groups-model] button.pick').click();
    })));
    if (i === 0) console.log(`filtered to a model: ${mib(await readMemory())}`);
    await page.click('[data-testid=breadcrumbs] button:has-text("All calls")');
    await page.waitForFunction(() => !/Model:/.test(document.querySelector('[data-testid=breadcrumbs]')?.textContent));
  }
  console.log(`filter to a model (click to drawn): median ${median(filtered).toFixed(0)} ms (${filtered.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`split by model: median ${median(split).toFixed(0)} ms (${split.map((x) => x.toFixed(0)).join(', ')}); narrowed to the last day, split: median ${median(narrowed).toFixed(0)} ms`);
  await context.close();
}
await browser.close();
