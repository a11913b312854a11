// Building DOM without HTML strings: text always goes in as text nodes, so nothing the service or a
// file name says can become markup.

// Set as properties (their live state), not as attributes (their initial state).
const PROPERTIES = new Set(['checked', 'disabled', 'value', 'hidden', 'selected', 'multiple', 'indeterminate']);

/**
 * h('button', { class: 'button', type: 'button', 'aria-label': label, onclick }, 'Text', otherNode)
 * null, undefined and false props and children are skipped; strings become text nodes.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) element[key] = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}
