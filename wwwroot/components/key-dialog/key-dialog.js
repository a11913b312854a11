// <key-dialog>: asks for the service's API key when an explanation is answered 401 (the service was
// started with Auth:Enabled). One dialog for every request refused at once; the key is kept for this
// tab only (lib/api.js keeps it in sessionStorage), never in the page's address or in localStorage.
import { h } from '../../lib/dom.js';

export class KeyDialog extends HTMLElement {
  #dialog;
  #input;
  #message;
  #answer = null;

  connectedCallback() {
    if (this.#dialog) return;
    this.#input = h('input', {
      type: 'password', id: 'api-key', class: 'key-input', autocomplete: 'off', spellcheck: 'false', 'data-key-input': true,
      onkeydown: (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          this.#close(this.#input.value.trim() || null);
        }
      },
    });
    this.#message = h('p', { class: 'key-message', role: 'status', 'aria-live': 'polite' });
    this.#dialog = h('dialog', { class: 'key-dialog', 'aria-labelledby': 'key-heading' },
      h('h2', { id: 'key-heading' }, 'API key needed'),
      h('p', { class: 'hint' }, 'This CamService asks for a key before it explains. The key stays in this tab until it is closed.'),
      this.#message,
      h('label', { for: 'api-key', class: 'key-label' }, 'API key'),
      this.#input,
      h('div', { class: 'key-actions' },
        h('button', { type: 'button', class: 'button', onclick: () => this.#close(null) }, 'Cancel'),
        h('button', { type: 'button', class: 'button button-primary', 'data-key-submit': true, onclick: () => this.#close(this.#input.value.trim() || null) }, 'Use key')));
    // Escape is Cancel.
    this.#dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      this.#close(null);
    });
    this.append(this.#dialog);
  }

  /** Shows the dialog; resolves to the key entered, or null when cancelled. rejected: the last key was not accepted. */
  ask(rejected) {
    this.#message.textContent = rejected ? 'That key was not accepted: check it and try again.' : '';
    this.#message.classList.toggle('is-error', rejected);
    this.#input.value = '';
    return new Promise((resolve) => {
      this.#answer = resolve;
      if (!this.#dialog.open) this.#dialog.showModal();
      this.#input.focus();
    });
  }

  #close(key) {
    const answer = this.#answer;
    this.#answer = null;
    if (this.#dialog.open) this.#dialog.close();
    answer?.(key);
  }
}

customElements.define('key-dialog', KeyDialog);
