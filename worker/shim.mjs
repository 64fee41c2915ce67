// The Worker's entry module: instantiates the wasm-bindgen output
// synchronously (workerd hands the .wasm over as a compiled module) and
// exports the fetch handler and the budget Durable Object class.
import wasmModule from './index_bg.wasm';
import { initSync, fetch as handle, BudgetDo } from './index.js';

initSync({ module: wasmModule });

export { BudgetDo };
export default {
  fetch(request, env, ctx) {
    return handle(request, env, ctx);
  },
};
