// The daily chart's drawing against a charting library, measured in
// headless Chromium (not a test: numbers for docs/PERFORMANCE.md). Serve a
// build first (`cargo xtask serve`), then:
//
//   (cd web/bench && npm ci) && node web/bench/chart.mjs http://127.0.0.1:8080/
//
// Both draw 365 days × 20 models of generated calls. The app's time is from
// choosing "Split by: Model" to the chart on screen (core's daily_split over
// every call, plotters' SVG, the DOM); it draws the 8 costliest models and
// (other), as it always does. uPlot's is `new uPlot(…)` with the same days
// and 9 or all 20 series stacked, to the next frame. Download sizes are brotli
// (quality 11) of what each adds to the page.

import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [base = 'http://127.0.0.1:8080/'] = process.argv.slice(2);
const DAYS = 365;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'o3', 'o4-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano',
  'claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1', 'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.0-flash',
  'mistral-large-latest', 'mistral-small-latest', 'deepseek-chat', 'command-r'];
const RUNS = 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const brotli = (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

// Two calls a day per model, their sizes varying by day and model.
const calls = [];
const start = Date.UTC(2025, 10, 1);
for (let d = 0; d < DAYS; d++) {
  const day = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
  MODELS.forEach((model, m) => {
    for (let k = 0; k < 2; k++) {
      calls.push({ id: `${d}-${m}-${k}`, traceId: `t-${d}-${m}`, type: 'GENERATION', startTime: `${day}T1${k}:00:00Z`, model,
        usageDetails: { input: 1000 + ((d * 37 + m * 101) % 5000), output: 100 + ((d * 13 + m * 7) % 900) } });
    }
  });
}
const dir = mkdtempSync(join(tmpdir(), 'farebox-chart-'));
const file = join(dir, 'year.json');
writeFileSync(file, JSON.stringify(calls));

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });

// The app: each run chooses the total, then the split, and waits for the legend's frame.
const app = [];
{
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(base + '#traces');
  await page.waitForSelector('html[data-ready="true"] #trace-file');
  await page.setInputFiles('#trace-file', file);
  await page.waitForSelector('[data-testid=split]', { timeout: 120_000 });
  for (let i = 0; i < RUNS; i++) {
    await page.selectOption('[data-testid=split]', '');
    await page.waitForFunction(() => !document.querySelector('[data-testid=split-legend]'));
    app.push(await page.evaluate(() => new Promise((done) => {
      const select = document.querySelector('[data-testid=split]');
      const t0 = performance.now();
      new MutationObserver((_, o) => {
        if (!document.querySelector('[data-testid=split-legend] li')) return;
        o.disconnect();
        requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0)));
      }).observe(document.body, { subtree: true, childList: true });
      select.value = 'model';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    })));
  }
  const series = await page.$$eval('[data-testid=day-picker] svg polygon', (p) => p.length);
  console.log(`app: ${calls.length} calls imported, split by model drawn as ${series} stacked series`);
  await page.close();
}

// uPlot: the same days, 9 (as the app) or all 20 series stacked (each the sum of those below it).
const uplotDir = fileURLToPath(new URL('./node_modules/uplot/dist/', import.meta.url));
const uplotJs = readFileSync(join(uplotDir, 'uPlot.iife.min.js'));
const uplotCss = readFileSync(join(uplotDir, 'uPlot.min.css'));
const lib = { 9: [], 20: [] };
{
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.setContent(`<style>${uplotCss}</style><div id="chart"></div>`);
  await page.addScriptTag({ content: uplotJs.toString() });
  for (const n of [9, 20]) for (let i = 0; i < RUNS; i++) {
    lib[n].push(await page.evaluate(({ days, models }) => {
      document.getElementById('chart').replaceChildren();
      const xs = Array.from({ length: days }, (_, d) => 1_761_955_200 + d * 86_400);
      const costs = models.map((_, m) => xs.map((_, d) => (1000 + ((d * 37 + m * 101) % 5000)) * 2.5e-6));
      let below = xs.map(() => 0);
      const stacked = costs.map((c) => (below = below.map((b, d) => b + c[d])));
      const t0 = performance.now();
      const plot = new uPlot({
        width: 720, height: 260,
        series: [{}, ...models.map((label, m) => ({ label, stroke: `hsl(${m * 18} 70% 45%)`, fill: `hsl(${m * 18} 70% 45% / .8)` }))],
        bands: models.slice(1).map((_, m) => ({ series: [m + 2, m + 1] })),
      }, [xs, ...stacked], document.getElementById('chart'));
      return new Promise((done) => requestAnimationFrame(() => setTimeout(() => { done(performance.now() - t0); plot.destroy(); })));
    }, { days: DAYS, models: MODELS.slice(0, n) }));
  }
  await page.close();
}
await browser.close();
rmSync(dir, { recursive: true });

const wasm = readFileSync(fileURLToPath(new URL('../dist/app_bg.wasm', import.meta.url)));
const ms = (xs) => `median ${median(xs).toFixed(1)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`;
console.log(`hand-written (plotters SVG in the app's module): drawn in ${ms(app)}; the app's whole module ${(brotli(wasm) / 1024).toFixed(1)} KiB brotli, plotters already in it for every chart`);
console.log(`uPlot 1.6.32 (${DAYS} days × 9 series, as the app draws): drawn in ${ms(lib[9])}`);
console.log(`uPlot 1.6.32 (${DAYS} days × ${MODELS.length} series): drawn in ${ms(lib[20])}; adds ${((brotli(uplotJs) + brotli(uplotCss)) / 1024).toFixed(1)} KiB brotli (JS ${(brotli(uplotJs) / 1024).toFixed(1)}, CSS ${(brotli(uplotCss) / 1024).toFixed(1)})`);
