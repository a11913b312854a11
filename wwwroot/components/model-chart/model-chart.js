// <model-chart>: the comparison that started the project — "fewer parameters, higher accuracy, faster" — drawn from
// the loaded models: published ImageNet top-1 accuracy against GMACs or this machine's measured latency (log scale),
// each point's area by its parameters. A model without a published accuracy (random weights) sits on the band below
// the axis, labelled so, never at a made-up height.
import * as format from '../../lib/format.js';
import { h } from '../../lib/dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 560;
const HEIGHT = 344;
const MARGIN = { left: 52, right: 16, top: 16, bottom: 100 };
const BAND = 24; // the strip under the x axis's numbers for models without an accuracy

export const AXES = {
  gigaMacs: { name: 'GMACs', label: 'GMACs per image (log scale)', value: (model) => model.gigaMacs, text: (value) => `${format.gigaMacs(value)} GMACs` },
  latencyMs: { name: 'Measured latency', label: 'latency measured on this machine, ms (log scale)', value: (model) => model.latencyMs, text: format.milliseconds },
};

/** An SVG element with attributes; text goes in as a text node. */
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) element.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** 1, 2 and 5 times the powers of ten between lo and hi. */
function logTicks(lo, hi) {
  const ticks = [];
  for (let decade = Math.floor(Math.log10(lo)); decade <= Math.ceil(Math.log10(hi)); decade++) {
    for (const step of [1, 2, 5]) {
      const value = step * 10 ** decade;
      if (value >= lo && value <= hi) ticks.push(value);
    }
  }
  return ticks;
}

export class ModelChart extends HTMLElement {
  #models = [];
  #axis;
  #figure;

  connectedCallback() {
    if (this.#figure) return;
    this.#axis = h('select', { id: 'chart-axis', onchange: () => this.#render() },
      Object.entries(AXES).map(([value, axis]) => h('option', { value }, axis.name)));
    this.#figure = h('figure', { class: 'model-chart-figure' });
    this.append(h('div', { class: 'control control-inline' }, h('label', { for: 'chart-axis' }, 'Accuracy against'), this.#axis), this.#figure);
    this.#render();
  }

  /** The models of GET /models; only ready ones are drawn. */
  set models(models) {
    this.#models = models.filter((model) => model.status === 'ready');
    if (this.#figure) this.#render();
  }

  #render() {
    const axis = AXES[this.#axis.value];
    const drawn = this.#models.filter((model) => axis.value(model) > 0);
    const caption = h('figcaption', {},
      'Published ImageNet top-1 accuracy against cost; a point\'s area is its parameters. ',
      this.#models.some((model) => model.accuracyTop1 == null)
        ? 'Models without a published accuracy (random weights: untrained) sit on the band marked “none”.' : '');
    if (drawn.length === 0) {
      this.#figure.replaceChildren(h('p', { class: 'hint' }, 'No ready model to draw yet.'));
      return;
    }

    const costs = drawn.map(axis.value);
    const [lo, hi] = [Math.min(...costs) / 1.5, Math.max(...costs) * 1.5];
    const accuracies = drawn.map((model) => model.accuracyTop1).filter((value) => value != null);
    const [bottom, top] = accuracies.length
      ? [Math.floor(Math.min(...accuracies) - 2), Math.ceil(Math.max(...accuracies) + 2)]
      : [60, 90];
    const plot = { left: MARGIN.left, right: WIDTH - MARGIN.right, top: MARGIN.top, bottom: HEIGHT - MARGIN.bottom };
    const x = (value) => plot.left + ((Math.log10(value) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (plot.right - plot.left);
    const y = (accuracy) => plot.bottom - ((accuracy - bottom) / (top - bottom)) * (plot.bottom - plot.top);
    const bandY = plot.bottom + 22 + BAND / 2;
    const largest = Math.max(...drawn.map((model) => model.parameters ?? 0), 1);
    const radius = (model) => 4 + 14 * Math.sqrt((model.parameters ?? 0) / largest);

    const grid = [
      ...logTicks(lo, hi).map((value) => s('g', { class: 'tick' },
        s('line', { x1: x(value), x2: x(value), y1: plot.top, y2: plot.bottom }),
        s('text', { x: x(value), y: plot.bottom + 14, 'text-anchor': 'middle' }, format.gigaMacs(value)))),
      ...Array.from({ length: Math.floor((top - bottom) / 2) + 1 }, (_, i) => bottom + 2 * i).map((value) => s('g', { class: 'tick' },
        s('line', { x1: plot.left, x2: plot.right, y1: y(value), y2: y(value) }),
        s('text', { x: plot.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, `${value}%`))),
    ];
    // Under the band, neighbours' names alternate between two rows so that close costs stay readable.
    const banded = drawn.filter((model) => model.accuracyTop1 == null).sort((a, b) => axis.value(a) - axis.value(b));
    const points = drawn.map((model) => {
      const cx = x(axis.value(model));
      const known = model.accuracyTop1 != null;
      const cy = known ? y(model.accuracyTop1) : bandY;
      const label = known
        ? { x: cx + radius(model) + 4, y: cy + 4 }
        : { x: cx, y: bandY + BAND / 2 + 12 + 13 * (banded.indexOf(model) % 2), 'text-anchor': 'middle' };
      const summary = `${model.id}: ${known ? `top-1 ${model.accuracyTop1.toFixed(1)}%` : 'no published accuracy (untrained)'}, ` +
        `${axis.text(axis.value(model))}, ${format.parameters(model.parameters)} parameters`;
      return s('g', { class: `point${known ? '' : ' is-untrained'}`, 'data-model-id': model.id },
        s('title', {}, summary),
        s('circle', { cx, cy, r: radius(model) }),
        s('text', label, model.id));
    });
    const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `Accuracy against ${axis.label}: ${drawn.map((m) => m.id).join(', ')}` },
      s('g', { class: 'grid' }, grid),
      s('line', { class: 'axis', x1: plot.left, x2: plot.right, y1: plot.bottom, y2: plot.bottom }),
      s('line', { class: 'axis', x1: plot.left, x2: plot.left, y1: plot.top, y2: plot.bottom }),
      s('rect', { class: 'band', x: plot.left, y: bandY - BAND / 2, width: plot.right - plot.left, height: BAND }),
      s('text', { class: 'band-label', x: plot.left - 6, y: bandY + 4, 'text-anchor': 'end' }, 'none'),
      s('text', { class: 'axis-label', x: (plot.left + plot.right) / 2, y: HEIGHT - 4, 'text-anchor': 'middle' }, axis.label),
      s('text', { class: 'axis-label', x: 12, y: (plot.top + plot.bottom) / 2, transform: `rotate(-90 12 ${(plot.top + plot.bottom) / 2})`, 'text-anchor': 'middle' }, 'ImageNet top-1'),
      points);
    this.#figure.replaceChildren(svg, caption);
  }
}

customElements.define('model-chart', ModelChart);
