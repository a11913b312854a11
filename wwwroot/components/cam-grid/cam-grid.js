// <cam-grid>: a row per image, a column per model. The header lines the models up by size and
// speed (parameters, GFLOPs, measured latency, with bars relative to the largest shown); each
// body cell is a <cam-cell>, kept across updates so that only what changed is asked for again.
import { h } from '../../lib/dom.js';
import * as format from '../../lib/format.js';
import '../cam-cell/cam-cell.js';

const FACTS = [
  { name: 'Parameters', value: (model) => model.parameters, text: (model) => format.parameters(model.parameters) },
  { name: 'GFLOPs', value: (model) => model.gflops, text: (model) => format.gflops(model.gflops) },
  { name: 'Latency', value: (model) => model.latencyMs, text: (model) => format.milliseconds(model.latencyMs) },
];

export class CamGrid extends HTMLElement {
  #head;
  #body;
  #empty;
  #table;
  /** imageId → { row, cells: Map(modelId → cam-cell) } */
  #rows = new Map();
  #columns = [];
  #images = [];

  connectedCallback() {
    if (this.#table) return;
    this.#head = h('thead');
    this.#body = h('tbody');
    this.#table = h('table', { class: 'cam-grid', hidden: true },
      h('caption', { class: 'visually-hidden' }, 'Grad-CAM of each image (rows) by each model (columns)'),
      this.#head, this.#body);
    this.#empty = h('p', { class: 'grid-empty' });
    this.append(this.#empty, h('div', { class: 'grid-scroll' }, this.#table));
  }

  /** Every cell, row by row. */
  get cells() {
    return [...this.#rows.values()].flatMap(({ cells }) => [...cells.values()]);
  }

  /** What the exported PNG draws: the columns' models and each row's cells in column order. */
  get snapshot() {
    return {
      models: this.#columns,
      rows: this.#images.map((image) => ({
        image,
        cells: this.#columns.map((model) => this.#rows.get(image.id).cells.get(model.id).snapshot),
      })),
    };
  }

  /**
   * Shows images × models. Cells whose request would not change keep their answer; when only the
   * opacity changed, every cell re-blends in the browser and nothing is asked of the service.
   */
  update(images, models, settings) {
    this.#images = images;
    this.#columns = models;
    this.#empty.hidden = images.length > 0 && models.length > 0;
    this.#empty.textContent = images.length === 0 && models.length === 0
      ? 'Add images and choose at least one model to see where each model looks.'
      : images.length === 0 ? 'Add images to see where each model looks.'
        : 'Choose at least one ready model.';
    this.#table.hidden = !this.#empty.hidden;
    this.style.setProperty('--columns', String(Math.max(1, models.length)));
    this.#renderHead(models);

    const keep = new Set(images.map((image) => image.id));
    for (const [id, { row, cells }] of this.#rows) {
      if (keep.has(id)) continue;
      for (const cell of cells.values()) cell.dispose();
      row.remove();
      this.#rows.delete(id);
    }
    for (const image of images) {
      const entry = this.#rows.get(image.id) ?? this.#newRow(image);
      this.#body.append(entry.row);
      this.#updateRow(entry, image, models, settings);
    }
  }

  #newRow(image) {
    const heading = h('th', { scope: 'row', class: 'image-head' },
      image.url ? h('img', { class: 'image-head-picture', src: image.url, alt: '' }) : null,
      h('span', { class: 'image-head-name' }, image.name),
      h('span', { class: 'image-head-size' },
        image.preview ? `${image.preview.size.width} × ${image.preview.size.height}` : 'no preview'));
    const entry = { row: h('tr', { dataset: { imageId: image.id } }, heading), cells: new Map() };
    this.#rows.set(image.id, entry);
    return entry;
  }

  #updateRow(entry, image, models, settings) {
    const wanted = new Set(models.map((model) => model.id));
    for (const [id, cell] of entry.cells) {
      if (wanted.has(id)) continue;
      cell.dispose();
      cell.parentElement.remove();
      entry.cells.delete(id);
    }
    for (const model of models) {
      let cell = entry.cells.get(model.id);
      if (!cell) {
        cell = document.createElement('cam-cell');
        cell.dataset.modelId = model.id;
        entry.cells.set(model.id, cell);
      }
      // Appending in column order also moves existing cells when the order changes.
      entry.row.append(cell.parentElement ?? h('td', {}, cell));
      cell.show(image, model, settings);
    }
  }

  #renderHead(models) {
    const largest = FACTS.map((fact) => Math.max(...models.map((model) => fact.value(model) ?? 0)));
    this.#head.replaceChildren(h('tr', {},
      h('th', { scope: 'col', class: 'corner' }, 'Image'),
      models.map((model) => h('th', { scope: 'col', class: 'model-head', dataset: { modelId: model.id } },
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
        }))))));
  }
}

customElements.define('cam-grid', CamGrid);
