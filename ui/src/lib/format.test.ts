import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatApprovals,
  formatDelta,
  formatMillis,
  formatNumber,
  formatPercent,
  formatTime,
  formatVersion,
  humanize,
  workloadPath,
} from './format';

describe('formatAge', () => {
  const now = Date.UTC(2026, 11, 5, 16, 0, 0);
  it('scales from seconds to days', () => {
    expect(formatAge(now - 5_000, now)).toBe('5s');
    expect(formatAge(now - 4 * 60_000, now)).toBe('4m');
    expect(formatAge(now - 2 * 3_600_000, now)).toBe('2h');
    expect(formatAge(now - (2 * 60 + 5) * 60_000, now)).toBe('2h 5m');
    expect(formatAge(now - 30 * 3_600_000, now)).toBe('30h');
    expect(formatAge(now - 5 * 86_400_000, now)).toBe('5d');
  });
  it('accepts bigint timestamps and never goes negative', () => {
    expect(formatAge(BigInt(now - 60_000), now)).toBe('1m');
    expect(formatAge(now + 10_000, now)).toBe('0s');
  });
  it('shows a dash for no time', () => {
    expect(formatAge(null, now)).toBe('—');
    expect(formatAge(undefined, now)).toBe('—');
  });
});

describe('formatTime', () => {
  it('prints UTC to the minute', () => {
    expect(formatTime(Date.UTC(2026, 0, 2, 3, 4, 59))).toBe('2026-01-02 03:04 UTC');
    expect(formatTime(null)).toBe('—');
  });
});

describe('formatNumber', () => {
  it('keeps about four significant digits without trailing zeros', () => {
    expect(formatNumber(0.91234)).toBe('0.9123');
    expect(formatNumber(0.9)).toBe('0.9');
    expect(formatNumber(12.5)).toBe('12.5');
    expect(formatNumber(123456)).toBe('123,456');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(-0.00731)).toBe('-0.00731');
  });
  it('uses exponents for tiny values', () => {
    expect(formatNumber(0.0000312)).toBe('3.12e-5');
  });
  it('shows a dash for missing or non-finite values', () => {
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(NaN)).toBe('—');
    expect(formatNumber(Infinity)).toBe('—');
  });
});

describe('other helpers', () => {
  it('signs deltas', () => {
    expect(formatDelta(0.007)).toBe('+0.007');
    expect(formatDelta(-12)).toBe('-12');
    expect(formatDelta(0)).toBe('0');
    expect(formatDelta(null)).toBe('—');
  });
  it('formats percent, milliseconds, approvals, versions, paths', () => {
    expect(formatPercent(1.25)).toBe('1.25%');
    expect(formatMillis(120)).toBe('120 ms');
    expect(formatApprovals(1, 2)).toBe('1/2');
    expect(formatVersion('7')).toBe('v7');
    expect(formatVersion(null)).toBe('—');
    expect(workloadPath({ cluster: 'prod', namespace: 'risk', name: 'fraud' })).toBe('prod/risk/fraud');
  });
  it('humanizes snake and screaming case', () => {
    expect(humanize('rolled_back')).toBe('Rolled back');
    expect(humanize('PENDING_REGISTRATION')).toBe('Pending registration');
    expect(humanize('')).toBe('');
  });
});
