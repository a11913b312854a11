// <agreement-panel>: where the models of one photo's row agree. Per method, a models × models matrix of
// the maps' Spearman rank correlation (colour-coded, −1 red to +1 green) with the IoU of their top-k %
// regions, and the consensus map (the mean of the normalised maps) blended over the photo next to the
// disagreement map (their spread). It joins the row's request (see explain-batch.js), so it costs no
// upload of its own.
import * as api from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { explainAgreement } from '../../lib/explain-batch.js';
import * as format from '../../lib/format.js';
import { blend, decodeHeatmap, fitWithin, pngBlob } from '../../lib/pictures.js';

/** The panel's pictures are small: a quarter of a cell's. */
const SIDE = 240;

/** A correlation from −1 to 1 as a background: red through a pale neutral to green. */
function correlationColour(r) {
  const hue = r >= 0 ? 130 : 0;
  const strength = Math.min(1, Math.abs(r));
  return `hsl(${hue} ${Math.round(25 + 45 * strength)}% ${Math.round(94 - 34 * strength)}%)`;
}

export class AgreementPanel extends HTMLElement {
  #image;
  #models = [];
  #settings;
  #requestKey = null;
  #controller = null;
  #state = 'idle';
  /** { entries: [{ entry, consensus, disagreement }] } of the last answer. */
  #answer = null;
  #error = null;
  #body;

  /** idle | waiting | running | done | failed */
  get state() {
    return this.#state;
  }

  /** Shows the agreement of `models` (two or more) on `image` for each of `methods`, asking only if what it shows would change. */
  show(image, models, methods, settings) {
    if (!this.#body) {
      this.#body = h('div', { class: 'agreement-body' });
      this.append(this.#body);
    }
    this.#image = image;
    this.#models = models;
    this.#settings = settings;
    // The set of models, not their order: reordering the columns re-orders the matrix and asks for nothing.
    const key = JSON.stringify([models.map((m) => m.id).sort(), methods, settings.target, settings.colormap, settings.resize, settings.metrics]);
    if (key !== this.#requestKey) this.#request(key, methods);
    else if (this.#answer) this.#render();
  }

  dispose() {
    this.#controller?.abort();
    this.#release();
  }

  #release() {
    for (const { consensus, disagreement } of this.#answer?.entries ?? []) {
      consensus.close();
      disagreement.close();
    }
    this.#answer = null;
  }

  #request(key, methods) {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.#requestKey = key;
    const { target, colormap, resize, metrics } = this.#settings;
    this.#setState('waiting');
    explainAgreement({
      image: this.#image, models: this.#models.map((m) => m.id), methods, target, colormap, resize, metrics, signal: controller.signal,
      onStart: () => { if (controller === this.#controller) this.#setState('running'); },
    })
      .then(async ({ image: imageSize, rendered, agreement }) => {
        const entries = await Promise.all(agreement.map(async (entry) => ({
          entry,
          consensus: await decodeHeatmap(pngBlob(entry.consensusPng), rendered.width, rendered.height, SIDE),
          disagreement: await decodeHeatmap(pngBlob(entry.disagreementPng), rendered.width, rendered.height, SIDE),
        })));
        if (controller !== this.#controller) {
          entries.forEach(({ consensus, disagreement }) => { consensus.close(); disagreement.close(); });
          return;
        }
        this.#release();
        this.#answer = { imageSize, entries };
        this.#setState('done');
      })
      .catch((error) => {
        if (controller !== this.#controller || error.name === 'AbortError') return;
        this.#release();
        this.#error = error instanceof api.ProblemError ? error : new api.ProblemError(0, 'Could not compare the models', error.message);
        this.#setState('failed');
      });
  }

  #setState(state) {
    this.#state = state;
    this.dataset.state = state;
    this.setAttribute('aria-busy', String(state === 'waiting' || state === 'running'));
    this.#render();
  }

  #render() {
    if (this.#state === 'failed') {
      const { title, detail, status } = this.#error;
      this.#body.replaceChildren(h('div', { class: 'cell-error' },
        h('p', { class: 'cell-error-title' }, status ? `${title} (${status})` : title),
        detail ? h('p', { class: 'cell-error-detail' }, detail) : null));
      return;
    }
    if (!this.#answer) {
      this.#body.replaceChildren(h('p', { class: 'agreement-busy' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Comparing…'));
      return;
    }
    const untrained = this.#models.filter((m) => m.untrained).map((m) => m.id);
    this.#body.replaceChildren(
      ...this.#answer.entries.map(({ entry, consensus, disagreement }) => this.#renderEntry(entry, consensus, disagreement)),
      // replaceChildren would write a null as the text "null".
      ...(untrained.length > 0
        ? [h('p', { class: 'agreement-note' }, `${untrained.join(', ')} ${untrained.length > 1 ? 'have' : 'has'} random weights: agreement with ${untrained.length > 1 ? 'them' : 'it'} is chance.`)]
        : []));
  }

  #renderEntry(entry, consensus, disagreement) {
    const { spearman, topPercentIou, topPercent, method } = entry;
    // In the grid's column order; the answer's indices say where each model's row is.
    const models = this.#models.map((m) => m.id).filter((id) => entry.models.includes(id));
    const at = (id) => entry.models.indexOf(id);
    const matrix = h('table', { class: 'agreement-matrix', dataset: { method } },
      h('caption', {}, `${method}: Spearman r (colour) and top-${topPercent} % IoU`),
      h('tr', {}, h('td', {}), models.map((model) => h('th', { scope: 'col', title: model }, model))),
      models.map((row) => h('tr', {},
        h('th', { scope: 'row', title: row }, row),
        models.map((column) => {
          const [i, j] = [at(row), at(column)];
          const cell = h('td', {
            class: 'agreement-pair',
            dataset: { rowModel: row, columnModel: column, spearman: String(spearman[i][j]), iou: String(topPercentIou[i][j]) },
            title: `${row} vs ${column}: Spearman r ${format.score(spearman[i][j])}, top-${topPercent} % IoU ${format.score(topPercentIou[i][j])}`,
          },
          h('span', { class: 'agreement-r' }, format.score(spearman[i][j])),
          h('span', { class: 'agreement-iou' }, `IoU ${format.score(topPercentIou[i][j])}`));
          cell.style.background = correlationColour(spearman[i][j]);
          return cell;
        }))));
    const canvas = (bitmap, label, photo) => {
      const { width, height } = fitWithin(this.#answer.imageSize.width, this.#answer.imageSize.height, SIDE);
      const picture = h('canvas', { class: 'agreement-picture', role: 'img', 'aria-label': label, width, height });
      blend(picture.getContext('2d'), photo ? this.#image.preview?.bitmap ?? null : null, bitmap, photo ? this.#settings.alpha : 1);
      return h('figure', { class: 'agreement-figure' }, picture, h('figcaption', {}, label));
    };
    return h('section', { class: 'agreement-entry', dataset: { method } },
      matrix,
      h('div', { class: 'agreement-maps' },
        canvas(consensus, `Consensus (${method})`, true),
        canvas(disagreement, `Disagreement (${method})`, false)));
  }
}

customElements.define('agreement-panel', AgreementPanel);
