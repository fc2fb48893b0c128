import { describe, expect, it } from 'vitest';
import { dragRange, nearestNumber, versionDomain, windowPoints, type RawPoint } from './chart';

describe('windowPoints', () => {
  const pts: RawPoint[] = [
    [0, 1],
    [10, 2],
    [20, null],
    [30, 4],
    [40, 5],
  ];
  it('keeps the points in the window, gaps included, in order', () => {
    expect(windowPoints(pts, 10, 30)).toEqual([
      [10, 2],
      [20, null],
      [30, 4],
    ]);
  });
  it('is empty outside the data and whole over all of it', () => {
    expect(windowPoints(pts, 41, 50)).toEqual([]);
    expect(windowPoints(pts, 0, 40)).toEqual(pts);
  });
});

describe('dragRange', () => {
  it('maps a drag to data, either direction', () => {
    expect(dragRange(100, 200, 0, 1000, 0, 10_000)).toEqual([1000, 2000]);
    expect(dragRange(200, 100, 0, 1000, 0, 10_000)).toEqual([1000, 2000]);
  });
  it('clamps to the plot', () => {
    expect(dragRange(-50, 500, 0, 1000, 0, 10_000)).toEqual([0, 5000]);
    expect(dragRange(900, 1400, 0, 1000, 0, 10_000)).toEqual([9000, 10_000]);
  });
  it('takes a click or a sliver for no selection', () => {
    expect(dragRange(100, 102, 0, 1000, 0, 10_000)).toBeNull();
    expect(dragRange(1100, 1300, 0, 1000, 0, 10_000)).toBeNull();
    expect(dragRange(100, 300, 0, 1000, 5, 5)).toBeNull();
  });
});

describe('version axis', () => {
  it('pads the versions by half a step', () => {
    expect(versionDomain([3, 10, 7])).toEqual([2.5, 10.5]);
    expect(versionDomain([4])).toEqual([3.5, 4.5]);
    expect(versionDomain([])).toBeNull();
  });
  it('finds the nearest version', () => {
    expect(nearestNumber([2, 5, 9], 6.9)).toBe(1);
    expect(nearestNumber([2, 5, 9], 7.1)).toBe(2);
    expect(nearestNumber([], 1)).toBe(-1);
  });
});
