// Which rows of a long list are in the DOM: only those in the viewport plus a
// few on each side, so 10,000+ rows scroll as fast as 30.

/** The slice of rows to render and the spacer heights around it. */
export interface RowWindow {
  /** First rendered row index (inclusive). */
  start: number;
  /** Last rendered row index (exclusive). */
  end: number;
  /** Height of the empty space above the first rendered row, px. */
  padTop: number;
  /** Height of the empty space below the last rendered row, px. */
  padBottom: number;
}

/**
 * Rows `[start, end)` to render for a viewport `viewport` px tall scrolled to
 * `scrollTop`, with `overscan` extra rows on each side. Rows are `rowHeight`
 * px tall. Out-of-range scroll positions are clamped.
 */
export function rowWindow(
  total: number,
  rowHeight: number,
  scrollTop: number,
  viewport: number,
  overscan = 8,
): RowWindow {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const maxTop = Math.max(0, total * rowHeight - viewport);
  const top = Math.min(Math.max(0, scrollTop), maxTop);
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil(Math.max(viewport, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + visible + overscan);
  return {
    start,
    end,
    padTop: start * rowHeight,
    padBottom: (total - end) * rowHeight,
  };
}

/** The scrollTop that brings row `index` into view (minimal scrolling). */
export function scrollToRow(
  index: number,
  rowHeight: number,
  scrollTop: number,
  viewport: number,
): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return scrollTop;
}
