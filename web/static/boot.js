// Compiles the module once and hands it to both the app and its Web Worker,
// then registers the service worker that keeps the app usable offline.
import init, { start } from './app.js';

// The Web Worker starts while the module compiles: its own start (a thread,
// app.js) took 70–300 ms after the page's when it came after it (measured on
// a loaded 2-core machine), all of it before the first estimate.
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const module = await WebAssembly.compileStreaming(fetch(new URL('app_bg.wasm', import.meta.url)));
await init({ module_or_path: module });
start(module, worker);
document.documentElement.dataset.ready = 'true';
performance.mark('farebox-ready');

// The offline cache downloads the whole build: it starts once the Web Worker
// has its vocabulary (the app dispatches `farebox-warmed`), never competing
// with the page's first estimate.
if ('serviceWorker' in navigator) {
  addEventListener('farebox-warmed', () => {
    navigator.serviceWorker.register('sw.js').catch((e) => console.warn('farebox: offline mode unavailable:', e));
  }, { once: true });
}
