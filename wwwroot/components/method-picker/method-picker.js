// <method-picker>: the service's CAM methods (GET methods), each with its one-line description and
// what it costs. Grad-CAM is ticked at first. Each ticked method is a column per model in the grid, so
// one model with several methods compares methods, several models with one method compare models.
// Fires 'methods-change' when the choice changes.
import { h } from '../../lib/dom.js';

export const DEFAULT_METHOD = 'gradcam';

const COSTS = {
  'one-pass': { label: 'one pass', hint: 'from the one model run: as fast as Grad-CAM' },
  'head-only': { label: 'head-only', hint: 're-evaluates the model’s head: a little slower' },
  'many-forwards': { label: 'many forwards', hint: 'a forward pass per channel: seconds per photo' },
};

export class MethodPicker extends HTMLElement {
  #methods = [];
  #selected = new Set([DEFAULT_METHOD]);
  #status;
  #list;

  connectedCallback() {
    if (this.#list) return;
    this.#status = h('p', { class: 'methods-status', role: 'status', 'aria-live': 'polite' }, 'Asking the service for its methods…');
    this.#list = h('ul', { class: 'method-list', 'aria-label': 'CAM methods to compare' });
    this.append(this.#status, this.#list);
  }

  /** The ticked methods' names, in the service's order; Grad-CAM until the list has come, so that the grid need not wait for it. */
  get chosen() {
    if (this.#methods.length === 0) return [DEFAULT_METHOD];
    return this.#methods.filter((method) => this.#selected.has(method.name)).map((method) => method.name);
  }

  /** Shows the methods of GET /methods. */
  set methods(methods) {
    this.#methods = methods;
    this.#status.hidden = true;
    this.#status.classList.remove('is-error');
    this.#list.replaceChildren(...methods.map((method, index) => this.#card(method, index)));
    this.#changed();
  }

  /** Says that the service could not be asked. */
  showError(error) {
    this.#status.hidden = false;
    this.#status.textContent = `Could not list the methods: ${error.message}`;
    this.#status.classList.add('is-error');
  }

  #card(method, index) {
    const id = `method-${index}`;
    const cost = COSTS[method.cost] ?? { label: method.cost, hint: '' };
    return h('li', { class: 'method-card', dataset: { method: method.name, cost: method.cost } },
      h('input', {
        type: 'checkbox', id, checked: this.#selected.has(method.name), 'aria-describedby': `${id}-description`,
        onchange: (event) => {
          if (event.target.checked) this.#selected.add(method.name);
          else this.#selected.delete(method.name);
          this.#changed();
        },
      }),
      h('label', { for: id, class: 'method-card-label' },
        h('span', { class: 'method-name' }, method.name),
        h('span', { class: `badge badge-cost badge-${method.cost}`, title: cost.hint }, cost.label)),
      h('p', { id: `${id}-description`, class: 'method-description' }, method.description));
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('methods-change', { bubbles: true }));
  }
}

customElements.define('method-picker', MethodPicker);
