// <cam-cell>: one image explained by one model with one method. The cell owns its request: it asks the service
// again only when what it shows would change (sharing the photo's upload with the other cells of its
// row, see explain-batch.js), shows its own progress and its own error, and re-blends the heatmap over
// the photo in the browser when only the opacity changes. Clicking one of its top-5 predictions
// explains that class in this cell alone. With the metrics asked for, the cell lists how faithful its map
// is: the confidence the map keeps, and the deletion and insertion curves' areas.
import * as api from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { explainCell } from '../../lib/explain-batch.js';
import * as format from '../../lib/format.js';
import { blend, decodeHeatmap, downloadBlob, fileName, fitWithin, pngBlob, PREVIEW_SIDE } from '../../lib/pictures.js';

export class CamCell extends HTMLElement {
  #image;
  #model;
  #method;
  #settings;
  /** The class index picked from this cell's top-5; null follows the page's target. */
  #override = null;
  #requestKey = null;
  #controller = null;
  #state = 'idle';
  /** { imageSize, predictions, target, timingsMs, untrained, metrics } of the last answer. */
  #result = null;
  #heatmap = null;
  #error = null;

  #picture;
  #canvas;
  #original;
  #busy;
  #busyText;
  #caption;
  #predictions;
  #metrics;
  #download;
  #errorBox;

  /** idle | waiting | running | done | failed */
  get state() {
    return this.#state;
  }

  /** What the exported grid draws for this cell. */
  get snapshot() {
    return {
      state: this.#state,
      image: this.#image,
      model: this.#model,
      method: this.#method,
      result: this.#result,
      chosen: this.#override !== null,
      error: this.#error,
      // While a new answer is on its way the previous one stays on screen, and in the export.
      overlay: this.#result && this.#state !== 'failed' ? this.#canvas : null,
    };
  }

  /** Shows `image` explained by `model` with `method` and the page's settings, asking the service only if needed. */
  show(image, model, method, settings) {
    this.#build();
    if (this.#settings && settings.target !== this.#settings.target) this.#override = null;
    const alphaChanged = this.#settings?.alpha !== settings.alpha;
    this.#image = image;
    this.#model = model;
    this.#method = method;
    this.#settings = settings;
    if (this.#key() !== this.#requestKey) this.#request();
    else if (alphaChanged && this.#heatmap) this.#paint();
  }

  /** Cancels a request under way and lets go of the bitmaps. */
  dispose() {
    this.#controller?.abort();
    this.#heatmap?.close();
    this.#heatmap = null;
  }

  #key() {
    const { target, colormap, resize, metrics } = this.#settings;
    return JSON.stringify([this.#method, this.#override ?? target, colormap, resize, metrics]);
  }

  #build() {
    if (this.#picture) return;
    this.#original = h('img', { class: 'cell-original', alt: '' });
    this.#canvas = h('canvas', { class: 'cell-overlay', role: 'img', hidden: true });
    this.#busyText = h('span', {}, 'Waiting…');
    this.#busy = h('div', { class: 'cell-busy', hidden: true }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), this.#busyText);
    this.#picture = h('div', { class: 'cell-picture' },
      this.#original, this.#canvas,
      h('span', { class: 'cell-picture-tag', 'aria-hidden': 'true' }, 'Original'),
      this.#busy);
    this.#caption = h('figcaption', { class: 'cell-caption' });
    this.#predictions = h('ol', { class: 'cell-predictions' });
    this.#metrics = h('div', { class: 'cell-metrics', 'data-metrics': true, hidden: true });
    this.#download = h('button', { type: 'button', class: 'link-button', 'data-download-overlay': true, hidden: true,
      onclick: () => this.#downloadOverlay() }, 'Download overlay');
    this.#errorBox = h('div', { class: 'cell-error', hidden: true });
    // Focusing the figure (or hovering it) shows the photo without the heatmap; see cam-cell.css.
    this.append(
      h('figure', { class: 'cell-figure', tabindex: '0' }, this.#picture, this.#caption),
      this.#errorBox, this.#metrics, this.#predictions, this.#download);
  }

  #request() {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.#requestKey = this.#key();
    this.#error = null;
    const image = this.#image;
    const model = this.#model;
    const method = this.#method;
    const { target, colormap, resize, metrics } = this.#settings;
    this.#setState('waiting');
    explainCell({
      image, model: model.id, method, target: this.#override ?? target, colormap, resize, metrics, signal: controller.signal,
      onStart: () => { if (controller === this.#controller) this.#setState('running'); },
    })
      .then(async ({ image: imageSize, rendered, result }) => {
        const heatmap = await decodeHeatmap(pngBlob(result.heatmapPng), rendered.width, rendered.height);
        if (controller !== this.#controller) {
          heatmap.close();
          return;
        }
        this.#heatmap?.close();
        this.#heatmap = heatmap;
        // Only what the cell shows is kept; the PNG's base64 goes.
        this.#result = {
          imageSize,
          predictions: result.predictions,
          target: result.target,
          timingsMs: result.timingsMs,
          untrained: result.untrained,
          metrics: result.metrics ?? null,
        };
        this.#setState('done');
      })
      .catch((error) => {
        if (controller !== this.#controller || error.name === 'AbortError') return;
        this.#error = error instanceof api.ProblemError ? error : new api.ProblemError(0, 'Could not show the result', error.message);
        this.#setState('failed');
      });
  }

  #setState(state) {
    this.#state = state;
    this.dataset.state = state;
    this.setAttribute('aria-busy', String(state === 'waiting' || state === 'running'));
    this.#render();
    this.dispatchEvent(new CustomEvent('cell-state', { bubbles: true }));
  }

  #render() {
    const busy = this.#state === 'waiting' || this.#state === 'running';
    const doing = `${this.#model.id} (${this.#method}) on ${this.#image.name}`;
    this.#busy.hidden = !busy;
    this.#busyText.textContent = this.#state === 'waiting' ? 'Waiting…' : 'Explaining…';
    this.#busy.title = `${this.#busyText.textContent} ${doing}`;

    if (this.#image.url && !this.#original.src) this.#original.src = this.#image.url;
    const size = this.#result?.imageSize ?? this.#image.preview?.size;
    if (size) this.#picture.style.aspectRatio = `${size.width} / ${size.height}`;

    this.#errorBox.hidden = this.#state !== 'failed';
    if (this.#state === 'failed') {
      const { title, detail, status } = this.#error;
      this.#errorBox.replaceChildren(
        h('p', { class: 'cell-error-title' }, status ? `${title} (${status})` : title),
        ...(detail ? [h('p', { class: 'cell-error-detail' }, detail)] : []),
        h('button', { type: 'button', class: 'button button-small', onclick: () => this.#request() }, 'Try again'));
    }

    const showResult = this.#result !== null && this.#state !== 'failed';
    this.#canvas.hidden = !showResult;
    this.#picture.classList.toggle('has-result', showResult);
    this.#download.hidden = this.#state !== 'done';
    if (showResult) {
      this.#paint();
      this.#renderCaption();
      this.#renderMetrics();
      this.#renderPredictions();
    } else {
      this.#caption.replaceChildren(h('p', { class: 'cell-model' }, `${this.#model.id} · ${this.#method}`));
      this.#metrics.hidden = true;
      this.#predictions.replaceChildren();
    }
  }

  #paint() {
    const { imageSize } = this.#result;
    const fitted = fitWithin(imageSize.width, imageSize.height, PREVIEW_SIDE);
    if (this.#canvas.width !== fitted.width || this.#canvas.height !== fitted.height) {
      this.#canvas.width = fitted.width;
      this.#canvas.height = fitted.height;
    }
    blend(this.#canvas.getContext('2d'), this.#image.preview?.bitmap ?? null, this.#heatmap, this.#settings.alpha);
  }

  #renderCaption() {
    const { predictions, target, timingsMs, untrained } = this.#result;
    const top = predictions[0];
    this.#canvas.setAttribute('aria-label',
      `${this.#method} of ${this.#model.id}${untrained ? ' (untrained)' : ''} for “${target.label}” on ${this.#image.name}`);
    this.#caption.replaceChildren(
      h('p', { class: 'cell-top1', 'data-top1': true },
        h('span', { class: 'cell-top1-label' }, top.label),
        h('span', { class: 'cell-top1-probability' }, format.probability(top.probability))),
      h('p', { class: 'cell-target', 'data-target': true },
        h('span', { class: 'cell-method', 'data-method': true }, this.#method), ' · Explains ', h('strong', {}, target.label), ` #${target.index}`,
        this.#override !== null ? h('span', { class: 'badge badge-chosen' }, 'chosen') : null),
      h('p', { class: 'cell-time', 'data-time': true },
        `${format.milliseconds(format.totalMs(timingsMs))} on the service`,
        h('span', { class: 'cell-time-detail' }, ` · inference ${format.milliseconds(timingsMs.inference)}`)));
  }

  /** The map's faithfulness, each figure with which way is better; an untrained model's figures are chance. */
  #renderMetrics() {
    const metrics = this.#result.metrics;
    this.#metrics.hidden = !metrics;
    if (!metrics) return;
    // Only the metrics the answer has: the service leaves out those not asked for.
    const row = (name, key, text, hint) => (metrics[key] == null ? null
      : h('div', { class: 'metric', dataset: { metric: key }, title: hint }, h('dt', {}, name), h('dd', {}, text(metrics[key]))));
    this.#metrics.replaceChildren(h('dl', { class: 'metric-list' },
      row('Average drop', 'averageDrop', format.percentage,
        'How much of the target’s probability is lost when the image is multiplied by the map (lower is better)'),
      row('Confidence up', 'increase', (up) => (up ? 'yes' : 'no'),
        'Whether the image multiplied by the map is more confident than the whole image'),
      row('Deletion AUC', 'deletionAuc', format.score,
        'Area under the probability as the map’s most important pixels are removed first (lower is better)'),
      row('Insertion AUC', 'insertionAuc', format.score,
        'Area under the probability as the map’s most important pixels are put back first (higher is better)')),
      // replaceChildren would write a null as the text "null".
      ...(this.#result.untrained ? [h('p', { class: 'cell-metrics-note' }, 'Random weights: these figures are chance.')] : []));
  }

  #renderPredictions() {
    const { predictions, target } = this.#result;
    const focused = this.#predictions.contains(document.activeElement) ? document.activeElement.dataset.index : null;
    this.#predictions.setAttribute('aria-label', `Top ${predictions.length} of ${this.#model.id} on ${this.#image.name}; choose one to explain it with ${this.#method}`);
    this.#predictions.replaceChildren(...predictions.map((prediction) => {
      const fill = h('span', { class: 'prediction-fill' });
      fill.style.width = `${(prediction.probability * 100).toFixed(1)}%`;
      return h('li', {},
        h('button', {
          type: 'button', class: 'prediction', 'aria-pressed': String(prediction.index === target.index),
          dataset: { index: prediction.index },
          title: `Explain “${prediction.label}” (#${prediction.index}) in this cell`,
          onclick: () => this.#retarget(prediction.index),
        },
        h('span', { class: 'prediction-label' }, prediction.label),
        h('span', { class: 'prediction-probability' }, format.probability(prediction.probability)),
        h('span', { class: 'prediction-bar', 'aria-hidden': 'true' }, fill)));
    }));
    if (focused !== null) this.#predictions.querySelector(`[data-index="${focused}"]`)?.focus();
  }

  #retarget(index) {
    if (this.#result?.target.index === index && this.#state === 'done') return;
    this.#override = index;
    this.#request();
  }

  /** Asks the service again for this cell's overlay alone, at the photo's full size, as a PNG. */
  async #downloadOverlay() {
    const { colormap, alpha, resize } = this.#settings;
    const target = this.#result.target;
    this.#download.disabled = true;
    try {
      const answer = await api.explain({
        file: this.#image.file, models: this.#model.id, methods: this.#method, target: target.index, colormap, alpha, resize,
        outputs: 'overlay', maxSize: 0, format: 'png',
      });
      downloadBlob(pngBlob(answer.results[0].overlayPng), fileName(this.#image.name, this.#model.id, this.#method, target.label));
    } catch (error) {
      this.#error = error instanceof api.ProblemError ? error : new api.ProblemError(0, 'Could not download the overlay', error.message);
      this.#setState('failed');
    } finally {
      this.#download.disabled = false;
    }
  }
}

customElements.define('cam-cell', CamCell);
