import { describe, expect, it } from 'vitest';
import { rowWindow, scrollToRow } from './virtual';
import { linePath, niceTicks, scale, extent, nearestIndex } from './chart';
import { parseRoute, routeHash } from './router';
import { KeyReader } from './keys';

describe('rowWindow', () => {
  it('renders only the rows in view plus overscan', () => {
    const w = rowWindow(10_000, 34, 0, 680, 8);
    expect(w.start).toBe(0);
    expect(w.end).toBe(20 + 1 + 8);
    expect(w.padTop).toBe(0);
    expect(w.padBottom).toBe((10_000 - w.end) * 34);
  });
  it('keeps the total height constant and clamps at the end', () => {
    const w = rowWindow(10_000, 34, 10_000_000, 680, 8);
    expect(w.end).toBe(10_000);
    expect(w.padTop + (w.end - w.start) * 34 + w.padBottom).toBe(340_000);
    expect(w.end - w.start).toBeLessThan(60);
  });
  it('handles an empty list', () => {
    expect(rowWindow(0, 34, 0, 600)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });
  it('scrolls minimally to a row', () => {
    expect(scrollToRow(0, 34, 100, 340)).toBe(0);
    expect(scrollToRow(20, 34, 0, 340)).toBe(21 * 34 - 340);
    expect(scrollToRow(5, 34, 0, 340)).toBe(0);
  });
});

describe('chart geometry', () => {
  it('breaks lines at gaps (null values)', () => {
    const x = scale(0, 10, 0, 100);
    const y = scale(0, 1, 100, 0);
    expect(linePath([[0, 0], [5, 1], [6, null], [10, 0.5]], x, y)).toBe('M0.0,100.0L50.0,0.0M100.0,50.0');
  });
  it('picks round ticks covering the range', () => {
    expect(niceTicks(0, 0.93, 4)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0, 0.93, 8)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(5, 5, 4).length).toBeGreaterThan(1);
  });
  it('finds the extent of finite values including extras', () => {
    expect(extent([[[0, 1], [1, null], [2, 3]]], [5])).toEqual([1, 5]);
    expect(extent([[[0, null]]])).toBeNull();
  });
  it('finds the nearest point', () => {
    expect(nearestIndex([[0, 1], [10, 2], [20, 3]], 13)).toBe(1);
    expect(nearestIndex([], 13)).toBe(-1);
  });
});

describe('routes and keys', () => {
  it('round-trips routes through the hash', () => {
    for (const r of [
      { screen: 'inbox' },
      { screen: 'fleet' },
      { screen: 'promotion', id: 'fraud detector/7' },
      { screen: 'model', model: 'fraud-detector' },
      { screen: 'model', model: null },
      { screen: 'audit', model: null },
    ] as const) {
      expect(parseRoute(routeHash(r))).toEqual(r);
    }
    expect(parseRoute('#/nonsense')).toEqual({ screen: 'inbox' });
  });
  it('reads g sequences and single keys', () => {
    const k = new KeyReader();
    expect(k.read('g')).toBeNull();
    expect(k.pending).toBe(true);
    expect(k.read('f')).toEqual({ kind: 'go', screen: 'fleet' });
    expect(k.read('a')).toEqual({ kind: 'approve' });
    expect(k.read('g')).toBeNull();
    expect(k.read('a')).toEqual({ kind: 'go', screen: 'audit' });
    expect(k.read('g')).toBeNull();
    expect(k.read('z')).toBeNull();
    expect(k.read('j')).toEqual({ kind: 'move', by: 1 });
  });
});
