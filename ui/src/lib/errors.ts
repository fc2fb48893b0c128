// The one error type every IPC call rejects with. The Rust side sends
// `{ code, message }` with the CLI's codes; Tauri itself rejects with a plain
// string (an unknown command, a command the capabilities do not grant). The
// UI branches on `code`, never on message text.

/** Codes the Rust side sends (the CLI's), plus `ipc` for Tauri's own refusals. */
export type IpcErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'invalid_request'
  | 'malformed_response'
  | 'server_error'
  | 'too_large'
  | 'unsupported'
  | 'not_configured'
  | 'ipc'
  | 'unknown';

const KNOWN: ReadonlySet<string> = new Set<IpcErrorCode>([
  'unreachable',
  'timeout',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'invalid_request',
  'malformed_response',
  'server_error',
  'too_large',
  'unsupported',
  'not_configured',
  'ipc',
  'unknown',
]);

/** A refused or failed IPC call. */
export class IpcError extends Error {
  readonly code: IpcErrorCode | (string & {});
  /** The command that failed (`approve`), for messages such as "approve: ...". */
  readonly command: string;

  constructor(code: string, message: string, command = '') {
    super(message);
    this.name = 'IpcError';
    this.code = code;
    this.command = command;
  }

  /** True when the code is one the UI knows how to explain. */
  get known(): boolean {
    return KNOWN.has(this.code);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * Turns whatever an `invoke` rejected with into an {@link IpcError}:
 * `{ code, message }` objects keep their code; strings (Tauri's own refusals)
 * become `ipc`; `Error`s keep their message; anything else is `unknown`.
 */
export function normalizeError(err: unknown, command = ''): IpcError {
  if (err instanceof IpcError) return err;
  if (isRecord(err) && typeof err.code === 'string' && err.code.trim() !== '') {
    const message =
      typeof err.message === 'string' && err.message !== '' ? err.message : err.code;
    return new IpcError(err.code, message, command);
  }
  if (typeof err === 'string') {
    return new IpcError('ipc', err === '' ? 'the call failed without a message' : err, command);
  }
  if (err instanceof Error) {
    return new IpcError('ipc', err.message || err.name, command);
  }
  if (isRecord(err) && typeof err.message === 'string') {
    return new IpcError('unknown', err.message, command);
  }
  return new IpcError('unknown', `unexpected error value: ${describe(err)}`, command);
}

function describe(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.slice(0, 200);
  } catch {
    return String(v);
  }
}

/** Short words for a code, shown before the message. */
export function codeLabel(code: string): string {
  switch (code) {
    case 'not_found':
      return 'Not found';
    case 'forbidden':
      return 'Not allowed';
    case 'unauthenticated':
      return 'Not signed in';
    case 'invalid_request':
      return 'Invalid request';
    case 'conflict':
      return 'Conflict';
    case 'unreachable':
      return 'Unreachable';
    case 'timeout':
      return 'Timed out';
    case 'not_configured':
      return 'Not configured';
    case 'unsupported':
      return 'Unsupported';
    case 'ipc':
      return 'App error';
    default:
      return 'Error';
  }
}
