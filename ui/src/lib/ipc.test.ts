import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as ipc from './ipc';
import { IpcError, normalizeError } from './errors';

type Handler = (cmd: string, args: unknown) => unknown;
const calls: Array<{ cmd: string; args: unknown }> = [];
let handler: Handler = () => undefined;

beforeEach(() => {
  calls.length = 0;
  // What @tauri-apps/api/core's invoke calls.
  (globalThis as unknown as { window: unknown }).window = {
    __TAURI_INTERNALS__: {
      invoke: async (cmd: string, args: unknown) => {
        calls.push({ cmd, args });
        return handler(cmd, args);
      },
    },
  };
});

afterEach(() => {
  delete (globalThis as unknown as { window?: unknown }).window;
});

describe('normalizeError', () => {
  it('keeps the code and message of a { code, message } rejection', () => {
    const e = normalizeError({ code: 'forbidden', message: 'alice may not approve' }, 'approve');
    expect(e).toBeInstanceOf(IpcError);
    expect(e.code).toBe('forbidden');
    expect(e.message).toBe('alice may not approve');
    expect(e.command).toBe('approve');
    expect(e.known).toBe(true);
  });

  it('keeps an unknown code (promotion refusals) and marks it unknown to the UI', () => {
    const e = normalizeError({ code: 'refused_self_approval', message: 'four eyes' });
    expect(e.code).toBe('refused_self_approval');
    expect(e.known).toBe(false);
  });

  it('uses the code as the message when the message is missing', () => {
    expect(normalizeError({ code: 'conflict' }).message).toBe('conflict');
  });

  it('turns a plain string (a Tauri refusal) into code ipc', () => {
    const e = normalizeError('Command approve not allowed by ACL');
    expect(e.code).toBe('ipc');
    expect(e.message).toBe('Command approve not allowed by ACL');
  });

  it('turns an Error into code ipc with its message', () => {
    const e = normalizeError(new TypeError('window.__TAURI_INTERNALS__ is undefined'));
    expect(e.code).toBe('ipc');
    expect(e.message).toContain('__TAURI_INTERNALS__');
  });

  it('names anything else as unknown with the value', () => {
    expect(normalizeError(42).code).toBe('unknown');
    expect(normalizeError(42).message).toContain('42');
    expect(normalizeError(null).message).toContain('null');
    expect(normalizeError({ message: 'odd' }).code).toBe('unknown');
    expect(normalizeError({ code: '', message: 'blank code' }).code).toBe('unknown');
  });

  it('returns an IpcError unchanged', () => {
    const e = new IpcError('timeout', 'slow');
    expect(normalizeError(e)).toBe(e);
  });
});

describe('gateway', () => {
  it('sends snake_case commands with camelCase args', async () => {
    handler = () => ({ ok: true });
    await ipc.approve('p-1', 'looks good');
    await ipc.reject('p-1', 'no');
    await ipc.health({ cluster: 'c', namespace: 'n', name: 'w', windowMs: 3600000, columns: 320 });
    await ipc.openProfile(null);
    await ipc.compare('m', '1', '2');
    await ipc.audit(null);
    await ipc.metricHistory('m', null);
    await ipc.metricHistory('m', 'auc');
    expect(calls).toEqual([
      { cmd: 'approve', args: { id: 'p-1', comment: 'looks good' } },
      { cmd: 'reject', args: { id: 'p-1', comment: 'no' } },
      { cmd: 'health', args: { cluster: 'c', namespace: 'n', name: 'w', windowMs: 3600000, columns: 320 } },
      { cmd: 'open_profile', args: { name: null } },
      { cmd: 'compare', args: { model: 'm', a: '1', b: '2' } },
      { cmd: 'audit', args: { model: null } },
      { cmd: 'metric_history', args: { model: 'm', metric: null } },
      { cmd: 'metric_history', args: { model: 'm', metric: 'auc' } },
    ]);
  });

  it('resolves with what the command returned', async () => {
    handler = (cmd) => (cmd === 'inbox' ? [] : null);
    await expect(ipc.inbox()).resolves.toEqual([]);
  });

  it('rejects with an IpcError carrying the Rust code', async () => {
    handler = () => {
      throw { code: 'not_found', message: 'no promotion p-9' };
    };
    const err = await ipc.promotion('p-9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcError);
    expect((err as IpcError).code).toBe('not_found');
    expect((err as IpcError).message).toBe('no promotion p-9');
    expect((err as IpcError).command).toBe('promotion');
  });

  it('rejects with code ipc when Tauri refuses with a string', async () => {
    handler = () => Promise.reject('command fleet not found');
    const err = (await ipc.fleet().catch((e: unknown) => e)) as IpcError;
    expect(err.code).toBe('ipc');
    expect(err.command).toBe('fleet');
  });

  it('save_chart sends the workload, window, zoom, chart, format and file name, never data or a path', async () => {
    handler = (cmd) => (cmd === 'save_chart' ? '/home/u/Downloads/scorer-latency.png' : null);
    const q = {
      cluster: 'prod',
      namespace: 'fraud',
      name: 'scorer',
      windowMs: 21_600_000,
      chart: 'latency' as const,
      fromMs: 1_700_000_000_000,
      toMs: 1_700_003_600_000,
      format: 'png' as const,
      fileName: 'scorer-latency',
    };
    await expect(ipc.saveChart(q)).resolves.toBe('/home/u/Downloads/scorer-latency.png');
    expect(calls).toEqual([{ cmd: 'save_chart', args: q }]);
    expect(Object.keys(calls[0].args as object).sort()).toEqual(
      ['chart', 'cluster', 'fileName', 'format', 'fromMs', 'name', 'namespace', 'toMs', 'windowMs'],
    );
  });

  it('save_chart rejects with the Rust code (a refused name, an existing file)', async () => {
    handler = () => {
      throw { code: 'conflict', message: 'save chart: a.png already exists in /d; choose another name' };
    };
    const err = (await ipc
      .saveChart({ cluster: 'c', namespace: 'n', name: 'w', windowMs: 1, chart: 'errors', fromMs: 0, toMs: 1, format: 'svg', fileName: 'a' })
      .catch((e: unknown) => e)) as IpcError;
    expect(err.code).toBe('conflict');
    expect(err.command).toBe('save_chart');
  });
});
