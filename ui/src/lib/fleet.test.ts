import { describe, expect, it } from 'vitest';
import { filterRows, sortRows } from './fleet';
import type { FleetRow } from './types';

function row(name: string, over: Partial<FleetRow> = {}): FleetRow {
  return {
    cluster: 'prod',
    namespace: 'risk',
    name,
    kind: 'deployment',
    model: 'fraud-detector',
    version: '7',
    aliases: [],
    ready: 3,
    desired: 3,
    rollout: 'Available',
    rollout_detail: null,
    rps: 10,
    p99_ms: 20,
    error_pct: 0.1,
    drift_psi: 0.01,
    drift: 'ok',
    created_at: 1_000,
    labels: { team: 'risk' },
    ...over,
  };
}

const names = (rows: FleetRow[]) => rows.map((r) => r.name);

describe('sortRows', () => {
  const rows = [row('b', { rps: 5 }), row('a', { rps: null }), row('c', { rps: 50 })];
  it('sorts numbers with missing values last in both directions', () => {
    expect(names(sortRows(rows, 'rps', false))).toEqual(['b', 'c', 'a']);
    expect(names(sortRows(rows, 'rps', true))).toEqual(['c', 'b', 'a']);
  });
  it('sorts text and breaks ties by cluster/namespace/name', () => {
    expect(names(sortRows(rows, 'name', true))).toEqual(['c', 'b', 'a']);
    expect(names(sortRows(rows, 'model', false))).toEqual(['a', 'b', 'c']);
  });
  it('sorts versions numerically and ages youngest first', () => {
    const vs = [row('x', { version: '10' }), row('y', { version: '9' }), row('z', { version: null })];
    expect(names(sortRows(vs, 'version', false))).toEqual(['y', 'x', 'z']);
    const ages = [row('old', { created_at: 1 }), row('new', { created_at: 9 })];
    expect(names(sortRows(ages, 'age', false))).toEqual(['new', 'old']);
  });
  it('does not change its input', () => {
    const before = names(rows);
    sortRows(rows, 'name', true);
    expect(names(rows)).toEqual(before);
  });
});

describe('filterRows', () => {
  const rows = [
    row('fraud-api', { labels: { team: 'risk' } }),
    row('churn-batch', { model: 'churn-model', kind: 'cron_job', labels: { team: 'growth' } }),
  ];
  it('matches every word against the text columns, case-insensitively', () => {
    expect(names(filterRows(rows, 'CHURN'))).toEqual(['churn-batch']);
    expect(names(filterRows(rows, 'prod cron'))).toEqual(['churn-batch']);
    expect(names(filterRows(rows, 'prod nothing'))).toEqual([]);
    expect(names(filterRows(rows, '  '))).toEqual(['fraud-api', 'churn-batch']);
  });
  it('matches key=value against labels', () => {
    expect(names(filterRows(rows, 'team=growth'))).toEqual(['churn-batch']);
    expect(names(filterRows(rows, 'owner=x'))).toEqual([]);
  });
});
