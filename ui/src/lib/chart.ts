// Geometry for the SVG charts: scales, paths with gaps, ticks, the point
// nearest the pointer. Layout only; the series, thresholds and markers are
// the Rust side's.

/** A point as the Rust series sends it: NaN crosses JSON as `null` (a gap). */
export type RawPoint = readonly [number | bigint, number | null];

/** A linear map from `[d0, d1]` onto `[r0, r1]`. */
export function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  if (!Number.isFinite(span) || span === 0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Finite points only, as numbers. */
export function finitePoints(points: readonly RawPoint[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [t, v] of points) {
    if (v !== null && Number.isFinite(v)) out.push([Number(t), v]);
  }
  return out;
}

/**
 * An SVG path `d` through the points; a `null`/NaN value breaks the line
 * (the gap stays visible instead of being bridged).
 */
export function linePath(
  points: readonly RawPoint[],
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  let d = '';
  let pen = false;
  for (const [t, v] of points) {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(Number(t)).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** The extent of every finite value (and the extra values, such as a threshold). */
export function extent(
  series: ReadonlyArray<readonly RawPoint[]>,
  extra: readonly number[] = [],
): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const [, v] of s) {
      if (v === null || !Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  for (const v of extra) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo === Infinity ? null : [lo, hi];
}

/** About `n` round tick values covering `[lo, hi]` (steps of 1, 2 or 5 x 10^k). */
export function niceTicks(lo: number, hi: number, n = 4): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step) * step;
  const out: number[] = [];
  for (let v = first; v <= hi + step * 0.5; v += step) {
    out.push(Number(v.toPrecision(12)));
    if (out.length > 50) break;
  }
  return out;
}

/** Index of the point whose time is nearest `t` (-1 for no point). */
export function nearestIndex(points: readonly RawPoint[], t: number): number {
  let best = -1;
  let bestD = Infinity;
  for (let i = 0; i < points.length; i++) {
    const d = Math.abs(Number(points[i][0]) - t);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** The points whose time lies in `[from, to]` (a zoomed window), in order. */
export function windowPoints(points: readonly RawPoint[], from: number, to: number): RawPoint[] {
  return points.filter(([t]) => {
    const n = Number(t);
    return n >= from && n <= to;
  });
}

/**
 * The data range a drag from pixel `px0` to `px1` selects on a plot that
 * spans pixels `[left, right]` and data `[from, to]`; clamped to the plot.
 * `null` for a drag narrower than `minPx` (a click, not a selection).
 */
export function dragRange(
  px0: number,
  px1: number,
  left: number,
  right: number,
  from: number,
  to: number,
  minPx = 4,
): [number, number] | null {
  const clamp = (p: number) => Math.min(right, Math.max(left, p));
  const a = clamp(Math.min(px0, px1));
  const b = clamp(Math.max(px0, px1));
  if (b - a < minPx || !(right > left) || !(to > from)) return null;
  const toData = scale(left, right, from, to);
  return [toData(a), toData(b)];
}

/** The whole numbers `[lo, hi]` an x axis of versions spans, padded by half a step each side. */
export function versionDomain(numbers: readonly number[]): [number, number] | null {
  if (numbers.length === 0) return null;
  const lo = Math.min(...numbers);
  const hi = Math.max(...numbers);
  return [lo - 0.5, hi + 0.5];
}

/** Index of the number in `numbers` nearest `x` (-1 for none). */
export function nearestNumber(numbers: readonly number[], x: number): number {
  let best = -1;
  let bestD = Infinity;
  numbers.forEach((n, i) => {
    const d = Math.abs(n - x);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}
