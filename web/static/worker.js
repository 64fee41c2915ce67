// The estimator's Web Worker. The first message is the compiled module; each
// later one is a request (JSON text), handled strictly in order so that a
// price change is seen by every estimate sent after it.
import init, { handle_message } from './app.js';

let queue = null;
self.onmessage = ({ data }) => {
  if (queue === null) {
    queue = init({ module_or_path: data }).then(() => self.postMessage('{"kind":"ready"}'));
  } else {
    queue = queue.then(() => handle_message(data));
  }
};
