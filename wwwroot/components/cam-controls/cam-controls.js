// <cam-controls>: what to explain and how to draw it: the target class, the colormap, the heatmap's
// opacity, how the image is resized to the model input, and which checks of the maps to show (the
// faithfulness metrics, which cost forward passes, and the agreement between models). Fires
// 'settings-change' with detail.changed naming the setting; opacity is blended in the browser, the
// others need new answers.
import { h } from '../../lib/dom.js';

const COLORMAPS = ['jet', 'turbo', 'viridis', 'inferno'];
const TOP_ONE_HINT = 'Empty: each model explains its own top-1. Type part of a label to explain one class.';

export class CamControls extends HTMLElement {
  #settings = { target: null, colormap: 'jet', alpha: 0.5, resize: 'stretch', metrics: false, agreement: true };
  #labels = [];
  #target;
  #targetHint;
  #datalist;
  #opacityOutput;
  #swatch;

  /** { target: null | number | string, colormap, alpha, resize, metrics, agreement } */
  get settings() {
    return { ...this.#settings };
  }

  /** The labels the target box suggests: those of the chosen models. */
  set labels(labels) {
    this.#labels = labels;
    this.#datalist.replaceChildren(...labels.map((label) => h('option', { value: label })));
  }

  connectedCallback() {
    if (this.#target) return;
    this.#datalist = h('datalist', { id: 'target-labels' });
    this.#target = h('input', {
      id: 'target', type: 'search', list: 'target-labels', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'Each model’s top-1', 'aria-describedby': 'target-hint',
      onchange: () => this.#applyTarget(),
      onsearch: () => this.#applyTarget(),
      // Picking a suggestion from the list applies it at once, without Enter.
      oninput: (event) => {
        if (event.inputType === 'insertReplacementText') this.#applyTarget();
      },
    });
    this.#targetHint = h('p', { id: 'target-hint', class: 'hint', 'aria-live': 'polite' }, TOP_ONE_HINT);
    const topOne = h('button', { type: 'button', class: 'button', onclick: () => {
      this.#target.value = '';
      this.#applyTarget();
    } }, 'Top-1');

    const colormap = h('select', { id: 'colormap', onchange: () => {
      this.#swatch.dataset.colormap = colormap.value;
      this.#set('colormap', colormap.value);
    } }, COLORMAPS.map((name) => h('option', { value: name }, name)));
    this.#swatch = h('span', { class: 'colormap-swatch', dataset: { colormap: 'jet' }, 'aria-hidden': 'true' });

    const opacity = h('input', { id: 'opacity', type: 'range', min: '0', max: '100', step: '5', value: '50',
      oninput: () => {
        this.#opacityOutput.value = `${opacity.value}%`;
        this.#set('alpha', Number(opacity.value) / 100);
      } });
    this.#opacityOutput = h('output', { for: 'opacity', class: 'control-value' }, '50%');

    const resize = (value, text, detail) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'resize', value, checked: value === 'stretch', onchange: () => this.#set('resize', value) }),
      h('span', {}, h('span', { class: 'choice-title' }, text), h('span', { class: 'hint' }, detail)));

    const check = (name, text, detail) => h('label', { class: 'choice' },
      h('input', { type: 'checkbox', name, checked: this.#settings[name], onchange: (event) => this.#set(name, event.target.checked) }),
      h('span', {}, h('span', { class: 'choice-title' }, text), h('span', { class: 'hint' }, detail)));

    this.append(
      h('div', { class: 'control' },
        h('label', { for: 'target' }, 'Target class'),
        h('div', { class: 'control-row' }, this.#target, topOne),
        this.#datalist,
        this.#targetHint),
      h('div', { class: 'control' },
        h('label', { for: 'colormap' }, 'Colormap'),
        h('div', { class: 'control-row' }, colormap, this.#swatch)),
      h('div', { class: 'control' },
        h('div', { class: 'control-label-row' }, h('label', { for: 'opacity' }, 'Heatmap opacity'), this.#opacityOutput),
        opacity),
      h('fieldset', { class: 'control' },
        h('legend', {}, 'Fit the image to the model input'),
        resize('stretch', 'Stretch', 'the whole image, squeezed'),
        resize('crop', 'Crop', 'the centre, as in training')),
      h('fieldset', { class: 'control' },
        h('legend', {}, 'Which map to trust'),
        check('metrics', 'Faithfulness metrics', 'average drop, deletion and insertion per map: about 41 extra forward passes each'),
        check('agreement', 'Agreement between models', 'rank correlation and top-20 % overlap of their maps, and the consensus map')));
  }

  /**
   * Reads the target box: empty is each model's top-1; a number is a class index; otherwise a label,
   * matched exactly, then ignoring case, then as the one label that contains what was typed.
   */
  #applyTarget() {
    const typed = this.#target.value.trim();
    const problem = (message) => {
      this.#target.setAttribute('aria-invalid', 'true');
      this.#targetHint.textContent = message;
      this.#targetHint.classList.add('is-error');
    };
    let target;
    if (typed === '') {
      target = null;
    } else if (/^\d+$/.test(typed)) {
      target = Number(typed);
    } else {
      const lower = typed.toLowerCase();
      const exact = this.#labels.find((label) => label === typed) ?? this.#labels.find((label) => label.toLowerCase() === lower);
      const containing = exact ? [exact] : this.#labels.filter((label) => label.toLowerCase().includes(lower));
      if (containing.length === 0) return problem(`No class of the chosen models contains “${typed}”.`);
      if (containing.length > 1) {
        return problem(`${containing.length} classes contain “${typed}”: ${containing.slice(0, 4).join(', ')}${containing.length > 4 ? '…' : ''}. Pick one from the list.`);
      }
      target = containing[0];
      this.#target.value = target;
    }
    this.#target.removeAttribute('aria-invalid');
    this.#targetHint.classList.remove('is-error');
    this.#targetHint.textContent = target === null ? TOP_ONE_HINT
      : typeof target === 'number' ? `Every model explains class #${target}.`
        : `Every model explains “${target}”.`;
    this.#set('target', target);
  }

  #set(name, value) {
    if (this.#settings[name] === value) return;
    this.#settings[name] = value;
    this.dispatchEvent(new CustomEvent('settings-change', { bubbles: true, detail: { changed: name } }));
  }
}

customElements.define('cam-controls', CamControls);
