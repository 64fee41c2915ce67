// Compiles the module once and hands it to both the app and its Web Worker,
// then registers the service worker that keeps the app usable offline.
import init, { start } from './app.js';

const module = await WebAssembly.compileStreaming(fetch(new URL('app_bg.wasm', import.meta.url)));
await init({ module_or_path: module });
start(module);
document.documentElement.dataset.ready = 'true';
performance.mark('farebox-ready');

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('farebox: offline mode unavailable:', e));
}
