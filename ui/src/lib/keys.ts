// Key bindings as data: a key (or a `g` sequence) maps to an action; the app
// performs it. The same table writes the help overlay.

export type KeyAction =
  | { kind: 'go'; screen: 'inbox' | 'fleet' | 'audit' | 'model' }
  | { kind: 'move'; by: number }
  | { kind: 'open' }
  | { kind: 'back' }
  | { kind: 'approve' }
  | { kind: 'reject' }
  | { kind: 'filter' }
  | { kind: 'help' }
  | { kind: 'theme' }
  | { kind: 'profile' };

/** One line of the help overlay. */
export interface Binding {
  keys: string;
  what: string;
  action: KeyAction;
}

export const BINDINGS: readonly Binding[] = [
  { keys: 'g i', what: 'Inbox', action: { kind: 'go', screen: 'inbox' } },
  { keys: 'g f', what: 'Fleet', action: { kind: 'go', screen: 'fleet' } },
  { keys: 'g m', what: 'Models', action: { kind: 'go', screen: 'model' } },
  { keys: 'g a', what: 'Audit trail', action: { kind: 'go', screen: 'audit' } },
  { keys: 'j / ↓', what: 'Next row', action: { kind: 'move', by: 1 } },
  { keys: 'k / ↑', what: 'Previous row', action: { kind: 'move', by: -1 } },
  { keys: 'Enter', what: 'Open the selected row', action: { kind: 'open' } },
  { keys: 'Esc', what: 'Back / close / leave a text box', action: { kind: 'back' } },
  { keys: 'a', what: 'Approve (promotion detail)', action: { kind: 'approve' } },
  { keys: 'r', what: 'Reject (promotion detail)', action: { kind: 'reject' } },
  { keys: '/', what: 'Filter the list', action: { kind: 'filter' } },
  { keys: 'p', what: 'Switch profile', action: { kind: 'profile' } },
  { keys: 't', what: 'Dark / light theme', action: { kind: 'theme' } },
  { keys: '?', what: 'This help', action: { kind: 'help' } },
];

const SEQUENCES: Record<string, KeyAction> = {
  i: { kind: 'go', screen: 'inbox' },
  f: { kind: 'go', screen: 'fleet' },
  m: { kind: 'go', screen: 'model' },
  a: { kind: 'go', screen: 'audit' },
};

const SINGLE: Record<string, KeyAction> = {
  j: { kind: 'move', by: 1 },
  ArrowDown: { kind: 'move', by: 1 },
  k: { kind: 'move', by: -1 },
  ArrowUp: { kind: 'move', by: -1 },
  Enter: { kind: 'open' },
  Escape: { kind: 'back' },
  a: { kind: 'approve' },
  r: { kind: 'reject' },
  '/': { kind: 'filter' },
  '?': { kind: 'help' },
  t: { kind: 'theme' },
  p: { kind: 'profile' },
};

/**
 * Reads keys one at a time: `g` waits for the next key; anything else maps
 * directly. Returns the action, or `null` (unbound, or `g` pending).
 */
export class KeyReader {
  private pendingG = false;

  read(key: string): KeyAction | null {
    if (this.pendingG) {
      this.pendingG = false;
      return SEQUENCES[key] ?? null;
    }
    if (key === 'g') {
      this.pendingG = true;
      return null;
    }
    return SINGLE[key] ?? null;
  }

  /** True while a `g` waits for its second key. */
  get pending(): boolean {
    return this.pendingG;
  }
}
