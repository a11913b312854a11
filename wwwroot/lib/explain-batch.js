// The cells of one photo share its upload: cells that ask in the same moment for the same photo with
// the same settings become one POST cam naming all their models and methods. The service decodes the
// photo once and runs each model once for all its methods, and the page uploads it once instead of once
// per cell. A cell whose request is its own (a class picked from its top-5) still asks alone.
import * as api from './api.js';
import { createLimiter } from './limiter.js';
import { PREVIEW_SIDE } from './pictures.js';

// The service computes on its CPU: two photos at a time keep it busy while rows still fill in order.
const schedule = createLimiter(2);

/** key → { members, controller }: requests gathered in this moment, not sent yet. */
const gathering = new Map();

/**
 * The explanation of `image` by `model` with `method`, as `{ image, rendered, result }` (the answer's sizes
 * and this cell's result). Only the heatmap comes back, at most PREVIEW_SIDE pixels long: the page blends it
 * over the photo itself. `onStart` is called when the request is sent; aborting `signal` leaves the request
 * (and cancels it when no cell is left waiting for it).
 */
export function explainCell({ image, model, method, target, colormap, resize, signal, onStart }) {
  const key = JSON.stringify([image.id, target, colormap, resize]);
  let batch = gathering.get(key);
  if (!batch) {
    batch = { members: [], controller: new AbortController() };
    gathering.set(key, batch);
    // Every cell that asks before this task runs joins the batch.
    setTimeout(() => send(key, batch, { image, target, colormap, resize }), 0);
  }
  return new Promise((resolve, reject) => {
    const member = { model, method, resolve, reject, onStart, aborted: false };
    batch.members.push(member);
    signal?.addEventListener('abort', () => {
      member.aborted = true;
      reject(signal.reason);
      if (batch.members.every((m) => m.aborted)) batch.controller.abort();
    }, { once: true });
  });
}

function send(key, batch, { image, target, colormap, resize }) {
  gathering.delete(key);
  const { controller } = batch;
  schedule(() => {
    controller.signal.throwIfAborted();
    const members = batch.members.filter((m) => !m.aborted);
    for (const member of members) member.onStart?.();
    // The service answers every model with every method; the cells of a row ask for such a product.
    const models = [...new Set(members.map((m) => m.model))];
    const methods = [...new Set(members.map((m) => m.method))];
    return api.explain({
      file: image.file, models, methods, target, colormap, resize,
      outputs: 'heatmap', maxSize: PREVIEW_SIDE, signal: controller.signal,
    }).then((answer) => ({ members, answer }));
  }, controller.signal)
    .then(({ members, answer }) => members.forEach((member) => {
      const result = answer.results.find((r) => r.model === member.model && r.method === member.method);
      member.resolve({ image: answer.image, rendered: answer.rendered, result });
    }))
    .catch((error) => batch.members.forEach((member) => member.reject(error)));
}
