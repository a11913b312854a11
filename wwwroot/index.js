// The page: the images, the models, the methods and the settings flow into the grid. Each part is a
// component in components/; this file only wires them together and keeps the models list fresh.
import './components/image-picker/image-picker.js';
import './components/model-picker/model-picker.js';
import './components/model-chart/model-chart.js';
import './components/method-picker/method-picker.js';
import './components/cam-controls/cam-controls.js';
import './components/cam-grid/cam-grid.js';
import './components/key-dialog/key-dialog.js';
import * as api from './lib/api.js';
import { drawGrid } from './lib/grid-image.js';
import { downloadCanvas } from './lib/pictures.js';

const picker = document.querySelector('image-picker');
const models = document.querySelector('model-picker');
const chart = document.querySelector('model-chart');
const methods = document.querySelector('method-picker');
const controls = document.querySelector('cam-controls');
const grid = document.querySelector('cam-grid');
const progress = document.querySelector('[data-progress]');
const downloadGrid = document.querySelector('[data-download-grid]');
const keyDialog = document.querySelector('key-dialog');

/** Labels by model id, asked for once per model. */
const labels = new Map();

function render() {
  grid.update(picker.images, models.columns, methods.chosen, controls.settings);
  showProgress();
}

function showProgress() {
  const cells = grid.cells;
  const count = (state) => cells.filter((cell) => cell.state === state).length;
  const done = count('done');
  const failed = count('failed');
  const busy = count('waiting') + count('running');
  downloadGrid.disabled = cells.length === 0 || busy > 0;
  progress.classList.toggle('is-error', failed > 0);
  progress.textContent =
    cells.length === 0 ? ''
      : busy > 0 ? `Explaining… ${done + failed} of ${cells.length} done${failed ? `, ${failed} failed` : ''}.`
        : failed > 0 ? `${done} of ${cells.length} explained; ${failed} failed: see the marked cells.`
          : `All ${cells.length} explained.`;
}

/** Suggests the labels of the chosen models in the target box. */
async function suggestLabels() {
  const chosen = models.columns;
  for (const model of chosen) {
    if (!labels.has(model.id)) labels.set(model.id, api.modelLabels(model.id).catch(() => []));
  }
  const lists = await Promise.all(chosen.map((model) => labels.get(model.id)));
  controls.labels = [...new Set(lists.flat())].sort((a, b) => a.localeCompare(b));
}

/** Reads GET /models, and again every two seconds while a model is still loading. */
async function refreshModels() {
  try {
    const list = await api.listModels();
    models.models = list;
    chart.models = list;
    if (list.some((model) => model.status === 'loading')) setTimeout(refreshModels, 2000);
  } catch (error) {
    models.showError(error);
    setTimeout(refreshModels, 5000);
  }
}

/** Reads GET /methods once; again after a while if the service could not be asked. */
async function loadMethods() {
  try {
    methods.methods = await api.listMethods();
  } catch (error) {
    methods.showError(error);
    setTimeout(loadMethods, 5000);
  }
}

// A service started with keys answers 401 to explanations until the page sends one.
api.onKeyNeeded((rejected) => keyDialog.ask(rejected));
picker.addEventListener('images-change', render);
models.addEventListener('models-change', () => {
  render();
  suggestLabels();
});
methods.addEventListener('methods-change', render);
controls.addEventListener('settings-change', render);
grid.addEventListener('cell-state', showProgress);
downloadGrid.addEventListener('click', async () => {
  await downloadCanvas(drawGrid(grid.snapshot, controls.settings), 'camservice-grid.png');
});

render();
refreshModels();
loadMethods();
