// <model-picker>: the service's models, each with its facts. Ready models can be ticked (all are at
// first); loading and failed ones are shown as such. Fires 'models-change' when the choice or the
// column order changes.
import { h } from '../../lib/dom.js';
import * as format from '../../lib/format.js';

export const ORDERS = {
  service: { label: 'Service order', key: null },
  parameters: { label: 'Parameters', key: (model) => model.parameters },
  gigaMacs: { label: 'GMACs', key: (model) => model.gigaMacs },
  latency: { label: 'Measured latency', key: (model) => model.latencyMs },
};

export class ModelPicker extends HTMLElement {
  #models = [];
  #selected = new Set();
  /** Models seen ready before: ticked once when they become ready, then left as the user set them. */
  #seenReady = new Set();
  #status;
  #list;
  #order;

  connectedCallback() {
    if (this.#list) return;
    this.#status = h('p', { class: 'models-status', role: 'status', 'aria-live': 'polite' }, 'Asking the service for its models…');
    this.#list = h('ul', { class: 'model-list', 'aria-label': 'Models to compare' });
    this.#order = h('select', { id: 'model-order', onchange: () => this.#changed() },
      Object.entries(ORDERS).map(([value, order]) => h('option', { value }, order.label)));
    this.append(this.#status, this.#list,
      h('div', { class: 'control control-inline' },
        h('label', { for: 'model-order' }, 'Order columns by'),
        this.#order));
  }

  /** The ready, ticked models in column order. */
  get columns() {
    const chosen = this.#models.filter((model) => model.status === 'ready' && this.#selected.has(model.id));
    const key = ORDERS[this.#order.value].key;
    return key ? chosen.toSorted((a, b) => (key(a) ?? Infinity) - (key(b) ?? Infinity)) : chosen;
  }

  /** Shows the models of GET /models. */
  set models(models) {
    this.#models = models;
    for (const model of models) {
      if (model.status === 'ready' && !this.#seenReady.has(model.id)) {
        this.#seenReady.add(model.id);
        this.#selected.add(model.id);
      }
    }
    this.#render();
    this.#changed();
  }

  /** Says that the service could not be asked. */
  showError(error) {
    this.#status.textContent = `Could not list the models: ${error.message}`;
    this.#status.classList.add('is-error');
  }

  #render() {
    const ready = this.#models.filter((model) => model.status === 'ready').length;
    const loading = this.#models.filter((model) => model.status === 'loading').length;
    this.#status.classList.toggle('is-error', ready === 0 && loading === 0);
    this.#status.textContent =
      this.#models.length === 0 ? 'The service has no models. Put .onnx files in its models folder and restart it.'
        : ready === 0 && loading > 0 ? `No model is ready yet: ${loading} still loading…`
          : ready === 0 ? 'No model is ready: every model failed to load. See the errors below.'
            : loading > 0 ? `${ready} ready, ${loading} still loading…`
              : `${ready} of ${this.#models.length} ready.`;
    // A poll while models load redraws the cards; the keyboard stays on the same checkbox.
    const focused = this.#list.contains(document.activeElement) ? document.activeElement.id : null;
    this.#list.replaceChildren(...this.#models.map((model, index) => this.#card(model, index)));
    if (focused) this.#list.querySelector(`#${focused}`)?.focus();
  }

  #card(model, index) {
    const id = `model-${index}`;
    const ready = model.status === 'ready';
    const checkbox = h('input', {
      type: 'checkbox', id, checked: ready && this.#selected.has(model.id), disabled: !ready,
      'aria-describedby': `${id}-facts`,
      onchange: (event) => {
        if (event.target.checked) this.#selected.add(model.id);
        else this.#selected.delete(model.id);
        this.#changed();
      },
    });
    const name = model.family && model.architecture
      ? `${model.family} · ${model.architecture}`
      : model.architecture ?? model.family ?? '';
    return h('li', { class: 'model-card', dataset: { modelId: model.id, status: model.status } },
      checkbox,
      h('label', { for: id, class: 'model-card-label' },
        h('span', { class: 'model-name' }, model.id),
        model.untrained ? h('span', { class: 'badge badge-untrained', title: 'Random weights: its predictions and maps mean nothing' }, 'untrained') : null,
        !ready ? h('span', { class: `badge badge-${model.status}` }, model.status) : null,
        name ? h('span', { class: 'model-architecture' }, name) : null),
      h('div', { id: `${id}-facts`, class: 'model-card-body' },
        ready
          ? h('dl', { class: 'model-facts' },
            fact('Parameters', format.parameters(model.parameters)),
            fact('GMACs', format.gigaMacs(model.gigaMacs)),
            fact('Latency', format.milliseconds(model.latencyMs)),
            fact('Input', model.inputSize ? `${model.inputSize.width}×${model.inputSize.height}` : '–'),
            fact('Maps', grid(model)),
            model.accuracyTop1 != null ? fact('ImageNet top-1', format.percentage(model.accuracyTop1)) : null)
          : h('p', { class: model.status === 'failed' ? 'model-error' : 'hint' },
            model.status === 'failed' ? `Failed to load: ${model.error ?? 'no reason given'}` : 'Loading and warming up…')));
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('models-change', { bubbles: true }));
  }
}

/** The grid the maps have, and what it is: 7×7, "14×14 patches" of a token sequence, "7×7 tokens" of a channels-last grid. */
function grid(model) {
  if (!model.grid) return '–';
  const cells = `${model.grid.width}×${model.grid.height}`;
  return model.targetLayout === 'TOKENS' ? `${cells} patches` : model.targetLayout === 'NHWC' ? `${cells} tokens` : cells;
}

function fact(term, value) {
  return h('div', { class: 'model-fact' }, h('dt', {}, term), h('dd', {}, value));
}

customElements.define('model-picker', ModelPicker);
