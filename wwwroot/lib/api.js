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

async function request(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ProblemError(0, 'Service unreachable', 'The request did not reach CamService; is it running?');
  }
  if (!response.ok) throw await problemOf(response);
  return response.json();
}

/** GET models: every model of the service with its facts and status. */
export function listModels() {
  return request('models', { headers: { accept: 'application/json' } });
}

/** GET models/{id}/labels: the class labels by index. */
export function modelLabels(id) {
  return request(`models/${encodeURIComponent(id)}/labels`, { headers: { accept: 'application/json' } });
}

/**
 * POST cam for one image and one model.
 * target: null for the model's top-1, a class index (number) or an exact label (string).
 */
export function explain({ file, model, target, colormap, alpha, resize, topk = 5, signal }) {
  const form = new FormData();
  form.append('image', file, file.name);
  form.append('models', model);
  if (target !== null && target !== undefined) form.append('target', String(target));
  form.append('topk', String(topk));
  form.append('colormap', colormap);
  form.append('alpha', String(alpha));
  form.append('resize', resize);
  return request('cam', { method: 'POST', body: form, headers: { accept: 'application/json' }, signal });
}
