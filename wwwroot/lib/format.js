// Numbers as the page shows them. One formatter per kind, so the grid, the model list and the
// exported PNG say the same thing.

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const significant = new Intl.NumberFormat('en', { maximumSignificantDigits: 3 });
const percent = new Intl.NumberFormat('en', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** 25557032 → "25.6M". */
export const parameters = (count) => (count == null ? '–' : compact.format(count));

/** Billions of multiply–accumulates: 4.0895 → "4.09". */
export const gigaMacs = (value) => (value == null ? '–' : significant.format(value));

/** 12.345 → "12.3 ms". */
export const milliseconds = (value) => (value == null ? '–' : `${significant.format(value)} ms`);

/** 0.8734 → "87.3%". */
export const probability = (value) => percent.format(value);

/** 1536000 → "1.5 MB". */
export const bytes = (count) => `${compact.format(count)}B`;

/** A score between −1 and 1 (an AUC, a correlation, an IoU): 0.45678 → "0.457", −0.1 → "−0.100". */
export const score = (value) => (value == null ? '–' : value.toFixed(3).replace('-', '−'));

/** A percentage that is already one: 12.345 → "12.3%". */
export const percentage = (value) => (value == null ? '–' : `${value.toFixed(1)}%`);

/** The whole time a result took on the service, stage by stage added up (its metrics' forward passes too). */
export const totalMs = (timings) => timings.preprocess + timings.inference + timings.cam + timings.render + (timings.metrics ?? 0);
