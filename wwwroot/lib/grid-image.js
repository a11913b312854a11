// The whole grid as one PNG, drawn on a canvas with its labels: a title line, a header per column
// (model name, untrained badge, method and family, parameters · GMACs · latency), then a row per image:
// its name on the left and, per column, the overlay as shown (current opacity) with top-1, target and time.
import * as format from './format.js';

/**
 * Layout rules, in pixels:
 *   width  = padding + rowHeaderWidth + columns · (cellSize + padding)
 *   height = titleHeight + headerHeight + images · (cellSize + captionHeight + padding)
 * Each overlay is scaled to fit a cellSize × cellSize box, keeping its aspect ratio, at the box's top.
 */
export const LAYOUT = Object.freeze({
  padding: 16,
  rowHeaderWidth: 160,
  cellSize: 256,
  titleHeight: 48,
  headerHeight: 96,
  captionHeight: 60,
});

export function gridSize(columns, images) {
  const { padding, rowHeaderWidth, cellSize, titleHeight, headerHeight, captionHeight } = LAYOUT;
  return {
    width: padding + rowHeaderWidth + columns * (cellSize + padding),
    height: titleHeight + headerHeight + images * (cellSize + captionHeight + padding),
  };
}

const COLORS = { text: '#1b1f27', muted: '#5b6472', rule: '#dde1e8', badge: '#b42318', badgeText: '#ffffff', error: '#b42318', box: '#eef0f4' };
const FONT = 'system-ui, "DejaVu Sans", sans-serif';

/** Draws grid.snapshot with the page's settings; returns the canvas. */
export function drawGrid({ columns, rows }, settings) {
  const { padding, rowHeaderWidth, cellSize, titleHeight, headerHeight, captionHeight } = LAYOUT;
  const size = gridSize(columns.length, rows.length);
  const canvas = document.createElement('canvas');
  canvas.width = size.width;
  canvas.height = size.height;
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, size.width, size.height);
  context.textBaseline = 'alphabetic';

  const target = settings.target === null ? 'each model’s top-1' : `target ${typeof settings.target === 'number' ? `#${settings.target}` : `“${settings.target}”`}`;
  const half = size.width / 2 - padding;
  text(context, 'CamService · class activation maps side by side', padding, 30, `700 18px ${FONT}`, COLORS.text, half);
  text(context, `${target} · ${settings.colormap} · opacity ${Math.round(settings.alpha * 100)}% · ${settings.resize}`,
    size.width - padding, 30, `13px ${FONT}`, COLORS.muted, half, 'right');

  const columnX = (i) => padding + rowHeaderWidth + i * (cellSize + padding);
  columns.forEach(({ model, method }, i) => {
    const x = columnX(i);
    const top = titleHeight;
    const nameWidth = text(context, model.id, x, top + 20, `700 15px ${FONT}`, COLORS.text, model.untrained ? cellSize - 90 : cellSize);
    if (model.untrained) badge(context, 'UNTRAINED', x + nameWidth + 8, top + 7);
    const methodWidth = text(context, method, x, top + 39, `700 13px ${FONT}`, COLORS.text, cellSize / 2);
    text(context, [model.family, model.architecture].filter(Boolean).join(' · '), x + methodWidth + 8, top + 39, `13px ${FONT}`, COLORS.muted, cellSize - methodWidth - 8);
    text(context, `${format.parameters(model.parameters)} parameters · ${format.gigaMacs(model.gigaMacs)} GMACs`, x, top + 58, `13px ${FONT}`, COLORS.text, cellSize);
    text(context, `${format.milliseconds(model.latencyMs)} measured latency`, x, top + 76, `13px ${FONT}`, COLORS.text, cellSize);
  });
  context.fillStyle = COLORS.rule;
  context.fillRect(padding, titleHeight + headerHeight - 8, size.width - 2 * padding, 1);

  rows.forEach(({ image, cells }, row) => {
    const y = titleHeight + headerHeight + row * (cellSize + captionHeight + padding);
    text(context, image.name, padding, y + 16, `600 14px ${FONT}`, COLORS.text, rowHeaderWidth - padding);
    if (image.preview) {
      text(context, `${image.preview.size.width} × ${image.preview.size.height}`, padding, y + 34, `12px ${FONT}`, COLORS.muted, rowHeaderWidth - padding);
    }
    cells.forEach((cell, column) => drawCell(context, cell, columnX(column), y));
  });
  return canvas;
}

function drawCell(context, cell, x, y) {
  const { cellSize } = LAYOUT;
  if (cell.overlay && cell.result) {
    const { width, height } = cell.overlay;
    const scale = Math.min(cellSize / width, cellSize / height);
    const w = Math.round(width * scale);
    const h = Math.round(height * scale);
    // Top-aligned, with the caption right under the overlay, so that each cell reads as one block.
    context.drawImage(cell.overlay, x + (cellSize - w) / 2, y, w, h);
    const { predictions, target, timingsMs } = cell.result;
    const top = predictions[0];
    const captionY = y + h;
    const probability = format.probability(top.probability);
    const probabilityWidth = text(context, probability, x + cellSize, captionY + 18, `600 13px ${FONT}`, COLORS.text, cellSize / 3, 'right');
    text(context, top.label, x, captionY + 18, `600 13px ${FONT}`, COLORS.text, cellSize - probabilityWidth - 8);
    text(context, `${cell.method} · explains ${target.label} #${target.index}${cell.chosen ? ' (chosen)' : ''}`, x, captionY + 36, `12px ${FONT}`, COLORS.muted, cellSize);
    text(context, `${format.milliseconds(format.totalMs(timingsMs))} on the service`, x, captionY + 53, `12px ${FONT}`, COLORS.muted, cellSize);
    return;
  }
  context.fillStyle = COLORS.box;
  context.fillRect(x, y, cellSize, cellSize);
  if (cell.state === 'failed') {
    text(context, cell.error.status ? `${cell.error.title} (${cell.error.status})` : cell.error.title, x + 10, y + 24, `700 13px ${FONT}`, COLORS.error, cellSize - 20);
    wrap(context, cell.error.detail ?? '', x + 10, y + 44, cellSize - 20, 17, 12, `12px ${FONT}`, COLORS.text);
  } else {
    text(context, 'not explained yet', x + 10, y + 24, `13px ${FONT}`, COLORS.muted, cellSize - 20);
  }
}

/** Draws one line, cut with an ellipsis to maxWidth; returns the width drawn. */
function text(context, value, x, y, font, color, maxWidth, align = 'left') {
  context.font = font;
  context.fillStyle = color;
  context.textAlign = align;
  let line = value;
  if (context.measureText(line).width > maxWidth) {
    while (line.length > 1 && context.measureText(`${line}…`).width > maxWidth) line = line.slice(0, -1);
    line = `${line}…`;
  }
  context.fillText(line, x, y);
  context.textAlign = 'left';
  return context.measureText(line).width;
}

/** Word-wraps value into at most maxLines lines. */
function wrap(context, value, x, y, maxWidth, lineHeight, maxLines, font, color) {
  context.font = font;
  const lines = [];
  let line = '';
  for (const word of value.split(/\s+/)) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && context.measureText(candidate).width > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line) lines.push(line);
  lines.slice(0, maxLines).forEach((part, i) => text(context, part, x, y + i * lineHeight, font, color, maxWidth));
}

function badge(context, label, x, y) {
  context.font = `700 10px ${FONT}`;
  const width = context.measureText(label).width + 10;
  context.fillStyle = COLORS.badge;
  context.beginPath();
  context.roundRect(x, y, width, 16, 4);
  context.fill();
  context.fillStyle = COLORS.badgeText;
  context.fillText(label, x + 5, y + 12);
}
