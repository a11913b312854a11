// <image-picker>: the photos to explain. The file picker, a drop anywhere on the page and a paste
// all hand their files to one method, addFiles. Fires 'images-change' when the list changes.
import { h } from '../../lib/dom.js';
import { decodePreview } from '../../lib/pictures.js';
import { bytes } from '../../lib/format.js';

let nextId = 1;

export class ImagePicker extends HTMLElement {
  #images = [];
  /** Additions in the order they came, even when a later batch decodes sooner. */
  #adding = Promise.resolve();
  #input;
  #list;
  #zone;
  #announcer;
  #chooseButton;

  /** [{ id, name, file, url, preview: { bitmap, size } | null }], in the order they were added. */
  get images() {
    return this.#images;
  }

  connectedCallback() {
    if (this.#input) return;
    this.#input = h('input', { type: 'file', accept: 'image/*', multiple: true, hidden: true, 'data-file-input': true,
      onchange: () => {
        this.addFiles(this.#input.files);
        this.#input.value = '';
      } });
    this.#chooseButton = h('button', { type: 'button', class: 'button button-primary', onclick: () => this.#input.click() }, 'Choose images…');
    this.#zone = h('div', { class: 'drop-zone', 'data-drop-zone': true },
      h('p', { class: 'drop-zone-title' }, 'Drop photos here or paste them'),
      this.#chooseButton,
      h('p', { class: 'hint' }, 'JPEG, PNG or WebP; several at once. Each becomes a row of the grid.'),
      this.#input);
    this.#list = h('ul', { class: 'thumbnails', 'aria-label': 'Chosen images' });
    this.#announcer = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    this.append(this.#zone, this.#list, this.#announcer);

    // Dropping anywhere on the page adds images (and never navigates away to the dropped file).
    document.addEventListener('dragover', (event) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
      this.#zone.classList.add('is-dragging');
    });
    document.addEventListener('dragleave', (event) => {
      if (event.relatedTarget === null) this.#zone.classList.remove('is-dragging');
    });
    document.addEventListener('drop', (event) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      this.#zone.classList.remove('is-dragging');
      this.addFiles(event.dataTransfer.files);
    });
    document.addEventListener('paste', (event) => {
      const files = event.clipboardData?.files;
      if (!files || files.length === 0) return;
      event.preventDefault();
      this.addFiles(files);
    });
  }

  /** The one way in for files, whichever way they came. */
  addFiles(fileList) {
    const files = [...fileList];
    if (files.length === 0) return this.#adding;
    this.#adding = this.#adding.then(() => this.#add(files));
    return this.#adding;
  }

  async #add(files) {
    const added = await Promise.all(files.map(async (file) => {
      const id = nextId++;
      const preview = await decodePreview(file);
      return {
        id,
        name: this.#uniqueName(file.name || `pasted-${id}.png`),
        file,
        // Only a file the browser can show gets a URL: a broken one would log an error for every <img>.
        url: preview ? URL.createObjectURL(file) : null,
        preview,
      };
    }));
    for (const image of added) {
      this.#images.push(image);
      this.#list.append(this.#thumbnail(image));
    }
    this.#announcer.textContent = `Added ${added.map((image) => image.name).join(', ')}.`;
    this.#changed();
  }

  /** Removes one image and releases its memory. */
  remove(id) {
    const index = this.#images.findIndex((image) => image.id === id);
    if (index < 0) return;
    const [image] = this.#images.splice(index, 1);
    const item = this.#list.children[index];
    // Keep the keyboard where it was: on the next remove button, or back on "Choose images".
    const next = item.nextElementSibling ?? item.previousElementSibling;
    item.remove();
    (next?.querySelector('button') ?? this.#chooseButton).focus();
    if (image.url) URL.revokeObjectURL(image.url);
    image.preview?.bitmap.close();
    this.#announcer.textContent = `Removed ${image.name}.`;
    this.#changed();
  }

  #thumbnail(image) {
    const size = image.preview
      ? `${image.preview.size.width} × ${image.preview.size.height} · ${bytes(image.file.size)}`
      : `${bytes(image.file.size)} · no preview`;
    return h('li', { class: 'thumbnail', dataset: { imageId: image.id } },
      image.url
        ? h('img', { class: 'thumbnail-picture', src: image.url, alt: '' })
        : h('span', { class: 'thumbnail-picture thumbnail-missing', 'aria-hidden': 'true' }, '?'),
      h('span', { class: 'thumbnail-text' },
        h('span', { class: 'thumbnail-name' }, image.name),
        h('span', { class: 'thumbnail-size' }, size)),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': `Remove ${image.name}`, title: 'Remove', onclick: () => this.remove(image.id) }, '×'));
  }

  /** Two photos both called image.png stay apart in the grid and in downloads. */
  #uniqueName(name) {
    const taken = new Set(this.#images.map((image) => image.name));
    if (!taken.has(name)) return name;
    const dot = name.lastIndexOf('.');
    const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    let n = 2;
    while (taken.has(`${stem} (${n})${extension}`)) n++;
    return `${stem} (${n})${extension}`;
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('images-change', { bubbles: true }));
  }
}

customElements.define('image-picker', ImagePicker);
