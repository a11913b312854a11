// The cells of one photo share its upload: cells that ask in the same moment for the same photo with
// the same settings become one POST cam naming all their models and methods. The service decodes the
// photo once and runs each model once for all its methods, and the page uploads it once instead of once
// per cell. The row's agreement panel joins the same request (agreement=true). A cell whose request is
// its own (a class picked from its top-5) still asks alone.
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
 * over the photo itself. With `metrics`, the result carries its faithfulness metrics. `onStart` is called
 * when the request is sent; aborting `signal` leaves the request (and cancels it when no member is left
 * waiting for it).
 */
export function explainCell({ image, model, method, target, colormap, resize, metrics, signal, onStart }) {
  return join({ image, target, colormap, resize, metrics }, { models: [model], methods: [method], agreement: false, onStart }, signal)
    .then(({ answer }) => ({
      image: answer.image,
      rendered: answer.rendered,
      result: answer.results.find((r) => r.model === model && r.method === method),
    }));
}

/**
 * The agreement between `models` (two or more) on `image`, one entry per method, as `{ image, rendered,
 * agreement }`; asked in the same request as the row's cells when they ask in the same moment.
 */
export function explainAgreement({ image, models, methods, target, colormap, resize, metrics, signal, onStart }) {
  return join({ image, target, colormap, resize, metrics }, { models, methods, agreement: true, onStart }, signal)
    .then(({ answer }) => ({ image: answer.image, rendered: answer.rendered, agreement: answer.agreement ?? [] }));
}

function join(request, wanted, signal) {
  const { image, target, colormap, resize, metrics } = request;
  const key = JSON.stringify([image.id, target, colormap, resize, Boolean(metrics)]);
  let batch = gathering.get(key);
  if (!batch) {
    batch = { members: [], controller: new AbortController() };
    gathering.set(key, batch);
    // Every member that asks before this task runs joins the batch.
    setTimeout(() => send(key, batch, request), 0);
  }
  return new Promise((resolve, reject) => {
    const member = { ...wanted, resolve, reject, aborted: false };
    batch.members.push(member);
    signal?.addEventListener('abort', () => {
      member.aborted = true;
      reject(signal.reason);
      if (batch.members.every((m) => m.aborted)) batch.controller.abort();
    }, { once: true });
  });
}

function send(key, batch, { image, target, colormap, resize, metrics }) {
  gathering.delete(key);
  const { controller } = batch;
  schedule(() => {
    controller.signal.throwIfAborted();
    const members = batch.members.filter((m) => !m.aborted);
    for (const member of members) member.onStart?.();
    // The service answers every model with every method; the members of a row ask for such a product.
    const models = [...new Set(members.flatMap((m) => m.models))];
    const methods = [...new Set(members.flatMap((m) => m.methods))];
    const agreement = models.length > 1 && members.some((m) => m.agreement);
    return api.explain({
      file: image.file, models, methods, target, colormap, resize, metrics, agreement,
      outputs: 'heatmap', maxSize: PREVIEW_SIDE, signal: controller.signal,
    }).then((answer) => ({ members, answer }));
  }, controller.signal)
    .then(({ members, answer }) => members.forEach((member) => member.resolve({ answer })))
    .catch((error) => batch.members.forEach((member) => member.reject(error)));
}
