// The service's HTTP API as the page uses it. Every path is relative, so the page works under any base path.

/** An error answer of the service (application/problem+json), or a failure to reach it. */
export class ProblemError extends Error {
  constructor(status, title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ProblemError';
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

async function problemOf(response) {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const problem = await response.json();
      const fieldErrors = Object.values(problem.errors ?? {}).flat();
      const detail = problem.detail ?? fieldErrors.join(' ');
      return new ProblemError(response.status, problem.title ?? response.statusText, detail);
    } catch {
      // Not JSON after all: fall through to the status line.
    }
  }
  return new ProblemError(response.status, `HTTP ${response.status}`, response.statusText);
}

/** Resolves after `seconds`, or rejects as soon as `signal` aborts. */
function pause(seconds, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });
}

/** Where the API key entered for this tab is kept: gone with the tab, never sent anywhere but this service. */
const KEY_ITEM = 'camservice-api-key';

/** Asks the person for a key: (rejected) => Promise of the key, or null when they decline. */
let askForKey = null;

/** The question being asked, shared by every request refused meanwhile. */
let keyQuestion = null;

/** Sets how the page asks for an API key when the service answers 401 (it was started with Auth:Enabled). */
export function onKeyNeeded(ask) {
  askForKey = ask;
}

function storedKey() {
  return sessionStorage.getItem(KEY_ITEM);
}

/** One question for every request refused at once; resolves to the new key, or null. */
function askKey(rejected) {
  keyQuestion ??= Promise.resolve(askForKey(rejected)).then((key) => {
    if (key) sessionStorage.setItem(KEY_ITEM, key);
    else sessionStorage.removeItem(KEY_ITEM);
    return key;
  }).finally(() => { keyQuestion = null; });
  return keyQuestion;
}

/**
 * Sends a request and reads its JSON answer, with the tab's API key if one was entered. A 401 asks for
 * a key (again, if the one sent was refused) and sends the request again with it. A busy service
 * answers 503 with Retry-After: the request is sent again after that long (a little more, so that
 * waiting cells do not return all at once), up to `retries` times. A 503 without Retry-After (a model
 * that is not ready) fails at once.
 */
async function request(url, init, retries = 0, read = (response) => response.json()) {
  for (let attempt = 0; ; attempt++) {
    let response;
    const key = storedKey();
    const headers = new Headers(init.headers);
    if (key) headers.set('x-api-key', key);
    try {
      response = await fetch(url, { ...init, headers });
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      throw new ProblemError(0, 'Service unreachable', 'The request did not reach CamService; is it running?');
    }
    if (response.status === 401 && askForKey) {
      // Another request may have had a key entered meanwhile: try that one before asking.
      if (storedKey() !== key && storedKey() !== null) continue;
      if (await askKey(key !== null)) continue;
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    if (response.status === 503 && retryAfter > 0 && attempt < retries) {
      await pause(Math.min(retryAfter, 30) * (1 + Math.random() / 2), init.signal);
      continue;
    }
    if (!response.ok) throw await problemOf(response);
    return read(response);
  }
}

/** GET models: every model of the service with its facts and status. */
export function listModels() {
  return request('models', { headers: { accept: 'application/json' } });
}

/** GET models/{id}/labels: the class labels by index. */
export function modelLabels(id) {
  return request(`models/${encodeURIComponent(id)}/labels`, { headers: { accept: 'application/json' } });
}

/** GET methods: every CAM method with its description, cost class and whether it uses gradients. */
export function listMethods() {
  return request('methods', { headers: { accept: 'application/json' } });
}

/** How often an explanation is sent again while the service says it is busy. */
const BUSY_RETRIES = 20;

/** The fields POST cam and POST cam/animation share; the animation refuses those that shape a JSON answer (topk, outputs, format). */
function explanationForm({ file, models, methods, target, colormap, alpha, resize, maxSize }) {
  const form = new FormData();
  form.append('image', file, file.name);
  form.append('models', [].concat(models).join(','));
  if (methods) form.append('method', [].concat(methods).join(','));
  if (target !== null && target !== undefined) form.append('target', String(target));
  form.append('colormap', colormap);
  if (alpha !== undefined) form.append('alpha', String(alpha));
  form.append('resize', resize);
  if (maxSize !== undefined) form.append('maxSize', String(maxSize));
  return form;
}

/**
 * POST cam for one image and one or more models and methods; the answer has a result per model and method
 * (models outer, each in the order given). Retried while the service is busy. target: null for each model's
 * top-1, a class index (number) or an exact label (string). methods: CAM method names (left out: the
 * service's default, gradcam). outputs: the parts of each result (cam, heatmap, overlay); maxSize: the
 * pictures' long side (0: the image's size); format: the overlay's encoding; alpha: the overlay's opacity.
 * metrics: true for every faithfulness metric of each map (extra forward passes); agreement: true for the
 * models' agreement per method (two models or more). Left out, the service's defaults apply.
 */
export function explain({ topk = 5, outputs, format, metrics, agreement, signal, ...fields }) {
  const form = explanationForm(fields);
  form.append('topk', String(topk));
  if (outputs) form.append('outputs', [].concat(outputs).join(','));
  if (format) form.append('format', format);
  if (metrics) form.append('metrics', 'all');
  if (agreement) form.append('agreement', 'true');
  return request('cam', { method: 'POST', body: form, headers: { accept: 'application/json' }, signal }, BUSY_RETRIES);
}

/** POST cam/animation: the same fields as explain; the answer is an animated GIF (a Blob) cycling through the models' overlays. */
export function animation({ signal, ...fields }) {
  const form = explanationForm(fields);
  return request('cam/animation', { method: 'POST', body: form, headers: { accept: 'image/gif' }, signal }, BUSY_RETRIES,
    (response) => response.blob());
}
