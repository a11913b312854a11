// <cam-grid>: a row per image, a column per model and method: with one method it compares models, with
// one model it compares methods. The header lines the models up by size and speed (parameters, GMACs,
// measured latency, with bars relative to the largest shown), each over its methods' columns; each body
// cell is a <cam-cell>, kept across updates so that only what changed is asked for again. With two models or
// more and agreement asked for, a last column holds each row's <agreement-panel>; each row's heading offers
// the animated comparison of its models (POST cam/animation) as a download.
import * as api from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import * as format from '../../lib/format.js';
import { downloadBlob, fileName } from '../../lib/pictures.js';
import '../agreement-panel/agreement-panel.js';
import '../cam-cell/cam-cell.js';

const FACTS = [
  { name: 'Parameters', value: (model) => model.parameters, text: (model) => format.parameters(model.parameters) },
  { name: 'GMACs', value: (model) => model.gigaMacs, text: (model) => format.gigaMacs(model.gigaMacs) },
  { name: 'Latency', value: (model) => model.latencyMs, text: (model) => format.milliseconds(model.latencyMs) },
];

export class CamGrid extends HTMLElement {
  #head;
  #body;
  #empty;
  #table;
  /** imageId → { row, cells: Map(column key → cam-cell), agreement: agreement-panel | null } */
  #rows = new Map();
  /** { model, method, key } in column order: models outer, then methods. */
  #columns = [];
  #images = [];
  #models = [];
  #methods = [];
  #settings = null;

  connectedCallback() {
    if (this.#table) return;
    this.#head = h('thead');
    this.#body = h('tbody');
    this.#table = h('table', { class: 'cam-grid', hidden: true },
      h('caption', { class: 'visually-hidden' }, 'Maps of each image (rows) by each model and method (columns)'),
      this.#head, this.#body);
    this.#empty = h('p', { class: 'grid-empty' });
    this.append(this.#empty, h('div', { class: 'grid-scroll' }, this.#table));
  }

  /** Every cell, row by row. */
  get cells() {
    return [...this.#rows.values()].flatMap(({ cells }) => [...cells.values()]);
  }

  /** What the exported PNG draws: the columns' models and methods, and each row's cells in column order. */
  get snapshot() {
    return {
      columns: this.#columns.map(({ model, method }) => ({ model, method })),
      rows: this.#images.map((image) => ({
        image,
        cells: this.#columns.map(({ key }) => this.#rows.get(image.id).cells.get(key).snapshot),
      })),
    };
  }

  /**
   * Shows images × (models × methods). Cells whose request would not change keep their answer; when only
   * the opacity changed, every cell re-blends in the browser and nothing is asked of the service.
   */
  update(images, models, methods, settings) {
    this.#images = images;
    this.#models = models;
    this.#methods = methods;
    this.#settings = settings;
    this.#columns = models.flatMap((model) => methods.map((method) => ({ model, method, key: JSON.stringify([model.id, method]) })));
    this.#empty.hidden = images.length > 0 && this.#columns.length > 0;
    this.#empty.textContent = images.length === 0 && models.length === 0
      ? 'Add images and choose at least one model to see where each model looks.'
      : images.length === 0 ? 'Add images to see where each model looks.'
        : models.length === 0 ? 'Choose at least one ready model.'
          : 'Choose at least one method.';
    this.#table.hidden = !this.#empty.hidden;
    // The agreement column takes a cell's width, so that it shows without scrolling.
    this.style.setProperty('--columns', String(Math.max(1, this.#columns.length + (this.#comparing ? 1 : 0))));
    this.#renderHead(models, methods);

    const keep = new Set(images.map((image) => image.id));
    for (const [id, { row, cells, agreement }] of this.#rows) {
      if (keep.has(id)) continue;
      for (const cell of cells.values()) cell.dispose();
      agreement?.dispose();
      row.remove();
      this.#rows.delete(id);
    }
    for (const image of images) {
      const entry = this.#rows.get(image.id) ?? this.#newRow(image);
      this.#body.append(entry.row);
      this.#updateRow(entry, image, settings);
    }
  }

  /** Whether the rows end with the models' agreement. */
  get #comparing() {
    return this.#settings?.agreement === true && this.#models.length > 1 && this.#methods.length > 0;
  }

  #newRow(image) {
    const heading = h('th', { scope: 'row', class: 'image-head' },
      image.url ? h('img', { class: 'image-head-picture', src: image.url, alt: '' }) : null,
      h('span', { class: 'image-head-name' }, image.name),
      h('span', { class: 'image-head-size' },
        image.preview ? `${image.preview.size.width} × ${image.preview.size.height}` : 'no preview'),
      h('button', { type: 'button', class: 'link-button', 'data-download-animation': true,
        title: 'An animated GIF cycling through the models’ maps over this photo, each captioned with the model’s top class and its size and speed',
        onclick: (event) => this.#downloadAnimation(image, event.currentTarget) }, 'Download animation'));
    const entry = { row: h('tr', { dataset: { imageId: image.id } }, heading), cells: new Map(), agreement: null };
    this.#rows.set(image.id, entry);
    return entry;
  }

  #updateRow(entry, image, settings) {
    const wanted = new Set(this.#columns.map(({ key }) => key));
    for (const [key, cell] of entry.cells) {
      if (wanted.has(key)) continue;
      cell.dispose();
      cell.parentElement.remove();
      entry.cells.delete(key);
    }
    for (const { model, method, key } of this.#columns) {
      let cell = entry.cells.get(key);
      if (!cell) {
        cell = document.createElement('cam-cell');
        cell.dataset.modelId = model.id;
        cell.dataset.method = method;
        entry.cells.set(key, cell);
      }
      // Appending in column order also moves existing cells when the order changes.
      entry.row.append(cell.parentElement ?? h('td', {}, cell));
      cell.show(image, model, method, settings);
    }
    if (!this.#comparing) {
      entry.agreement?.dispose();
      entry.agreement?.parentElement.remove();
      entry.agreement = null;
      return;
    }
    entry.agreement ??= document.createElement('agreement-panel');
    entry.row.append(entry.agreement.parentElement ?? h('td', { class: 'agreement-cell' }, entry.agreement));
    entry.agreement.show(image, this.#models, this.#methods, settings);
  }

  /** Asks the service for the row's animation (every model and method, the page's settings) and saves it. */
  async #downloadAnimation(image, button) {
    const { target, colormap, alpha, resize } = this.#settings;
    button.disabled = true;
    button.textContent = 'Making the animation…';
    try {
      const gif = await api.animation({
        file: image.file, models: this.#models.map((m) => m.id), methods: this.#methods, target, colormap, alpha, resize,
      });
      downloadBlob(gif, fileName(image.name, 'comparison').replace(/\.png$/, '.gif'));
      button.textContent = 'Download animation';
    } catch (error) {
      button.textContent = `Animation failed: ${error instanceof api.ProblemError ? error.message : 'could not reach the service'}. Try again`;
    } finally {
      button.disabled = false;
    }
  }

  #renderHead(models, methods) {
    const largest = FACTS.map((fact) => Math.max(...models.map((model) => fact.value(model) ?? 0)));
    this.#head.replaceChildren(
      h('tr', {},
        h('th', { scope: 'col', class: 'corner', rowspan: '2' }, 'Image'),
        models.map((model) => h('th', { scope: 'colgroup', colspan: String(methods.length), class: 'model-head', dataset: { modelId: model.id } },
          h('div', { class: 'model-head-title' },
            h('span', { class: 'model-head-name' }, model.id),
            model.untrained ? h('span', { class: 'badge badge-untrained', title: 'Random weights: its predictions and maps mean nothing' }, 'untrained') : null),
          h('div', { class: 'model-head-family' }, [model.family, model.inputSize && `${model.inputSize.width}×${model.inputSize.height}`].filter(Boolean).join(' · ')),
          h('dl', { class: 'model-bars' }, FACTS.map((fact, i) => {
            const fill = h('span', { class: 'bar-fill' });
            const value = fact.value(model);
            fill.style.width = largest[i] > 0 && value != null ? `${Math.max(2, (100 * value) / largest[i])}%` : '0';
            return h('div', { class: 'bar-row' },
              h('dt', {}, fact.name),
              h('dd', {}, h('span', { class: 'bar', 'aria-hidden': 'true' }, fill), h('span', { class: 'bar-value' }, fact.text(model))));
          })))),
        this.#comparing
          ? h('th', { scope: 'col', rowspan: '2', class: 'agreement-head' }, 'Agreement',
            h('span', { class: 'agreement-head-detail' }, 'between the models’ maps'))
          : null),
      // Each column's method, under its model.
      h('tr', { class: 'method-heads' },
        this.#columns.map(({ model, method }) => h('th', { scope: 'col', class: 'method-head', dataset: { modelId: model.id, method } }, method))));
  }
}

customElements.define('cam-grid', CamGrid);
