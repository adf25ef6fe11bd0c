/** Shared by the modeler and the instance view: how a diagram first appears. */
export interface ZoomableCanvas {
  zoom(v: string | number): number;
  viewbox(box?: { x: number; y: number; width: number; height: number }): { x: number; y: number; width: number; height: number; inner: { x: number; y: number; width: number; height: number }; outer: { width: number; height: number } };
}

/** Fits the diagram, but a long lifecycle is shown from its start at a zoom where labels read, not shrunk to a strip. */
export function readableZoom(canvas: ZoomableCanvas, min = 0.75): void {
  const scale = canvas.zoom('fit-viewport');
  if (scale >= min) return;
  const { inner, outer } = canvas.viewbox();
  // leave room for the modeler's palette (about 130 px at the left) before the start event
  canvas.viewbox({ x: inner.x - 130 / min, y: inner.y - 60 / min, width: outer.width / min, height: outer.height / min });
}
