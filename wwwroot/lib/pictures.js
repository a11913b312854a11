// Pixels in the browser: decoding photos, blending a heatmap over a photo, saving a canvas.

/** The longer side of the bitmaps the grid draws; twice a cell's width, so overlays stay sharp on HiDPI screens. */
export const PREVIEW_SIDE = 640;

/** width × height scaled down (never up) so that the longer side is at most `side`. */
export function fitWithin(width, height, side) {
  const scale = Math.min(1, side / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

async function scaledBitmap(source, width, height, side) {
  const fitted = fitWithin(width, height, side);
  if (fitted.width === width && fitted.height === height) return source;
  const scaled = await createImageBitmap(source, { resizeWidth: fitted.width, resizeHeight: fitted.height, resizeQuality: 'high' });
  source.close();
  return scaled;
}

/**
 * Decodes an image file (upright, as its EXIF orientation says, like the service does) into a
 * bitmap no larger than `side`, with its full size. Null when the browser cannot decode it: the
 * service still gets the file and says what is wrong with it.
 */
export async function decodePreview(file, side = PREVIEW_SIDE) {
  let full;
  try {
    full = await createImageBitmap(file);
  } catch {
    return null;
  }
  const size = { width: full.width, height: full.height };
  return { bitmap: await scaledBitmap(full, size.width, size.height, side), size };
}

/** A base64 PNG from the service as a Blob. */
export function pngBlob(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Blob([bytes], { type: 'image/png' });
}

/** Decodes a heatmap PNG at most `side` pixels long. */
export async function decodeHeatmap(blob, width, height, side = PREVIEW_SIDE) {
  return scaledBitmap(await createImageBitmap(blob), width, height, side);
}

/**
 * Paints the photo, then the heatmap at `alpha` over it: (1 − alpha) · photo + alpha · colour, the
 * service's overlay formula; where the heatmap is transparent (outside a crop) the photo shows through.
 */
export function blend(context, photo, heatmap, alpha) {
  const { width, height } = context.canvas;
  context.save();
  context.clearRect(0, 0, width, height);
  if (photo) {
    context.drawImage(photo, 0, 0, width, height);
  } else {
    context.fillStyle = '#808080';
    context.fillRect(0, 0, width, height);
  }
  context.globalAlpha = alpha;
  context.drawImage(heatmap, 0, 0, width, height);
  context.restore();
}

/** A PNG file name from the image's name (without its extension) and more parts, safe on every file system. */
export function fileName(imageName, ...parts) {
  const stem = imageName.replace(/\.[a-z0-9]+$/i, '');
  return [stem, ...parts].map((part) => String(part).replace(/[^\w.-]+/g, '-')).join('_') + '.png';
}

/** Saves the canvas as a PNG download. */
export async function downloadCanvas(canvas, name) {
  const blob = await new Promise((resolve, reject) =>
    canvas.toBlob((png) => (png ? resolve(png) : reject(new Error('The canvas could not be encoded as PNG.'))), 'image/png'));
  downloadBlob(blob, name);
}

/** Saves the blob as a download named `name`. */
export function downloadBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once it starts; a minute is plenty.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
