// The app's shared state (Svelte 5 runes): the session, the inbox, the route,
// the theme. Screens keep their own panel state; this holds what the header,
// the nav and several screens read. Data arrives from the gateway only.

import * as ipc from './ipc';
import type { IpcError } from './errors';
import type { KeyAction } from './keys';
import { parseRoute, routeHash, type Route } from './router';
import type { BackendView, InboxItem, SessionInfo } from './types';

export type Theme = 'light' | 'dark';
export type PanelStatus = 'loading' | 'ready' | 'failed';

const THEME_KEY = 'modeldeck.theme';

function initialTheme(): Theme {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    // Storage may be unavailable; fall back to the system preference.
  }
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

class AppState {
  session = $state.raw<SessionInfo | null>(null);
  sessionStatus = $state<PanelStatus>('loading');
  sessionError = $state.raw<IpcError | null>(null);
  /** Backend states from the latest `snapshot` event (else the session's). */
  backends = $state.raw<BackendView[]>([]);
  generation = $state(0);

  inbox = $state.raw<InboxItem[]>([]);
  inboxStatus = $state<PanelStatus>('loading');
  inboxError = $state.raw<IpcError | null>(null);
  /** How many `inbox` events arrived: something changed on the Rust side. */
  inboxEvents = $state(0);

  route = $state.raw<Route>(parseRoute(location.hash));
  theme = $state<Theme>(initialTheme());
  helpOpen = $state(false);
  /** The wall clock, ticking, for ages. */
  now = $state(Date.now());
  /** A short message after an action (`Approved`), or an error. */
  notice = $state.raw<{ text: string; tone: 'good' | 'bad' } | null>(null);

  /** The visible screen's key handler (returns true when it used the key). */
  screenKeys: ((a: KeyAction) => boolean) | null = null;

  async start(): Promise<void> {
    window.addEventListener('hashchange', () => this.setRoute(parseRoute(location.hash)));
    setInterval(() => {
      this.now = Date.now();
    }, 15_000);
    this.applyTheme();
    await Promise.all([
      this.loadSession(),
      this.loadInbox(),
      ipc
        .onInbox((items) => {
          this.inbox = items;
          this.inboxEvents++;
          this.inboxStatus = 'ready';
          this.inboxError = null;
        })
        .catch(() => undefined),
      ipc
        .onSnapshot((e) => {
          this.backends = e.backends;
          this.generation = Number(e.generation);
        })
        .catch(() => undefined),
      ipc
        .onOpen((e) => {
          void this.openDeepLink(e.promotion_id, e.profile ?? null);
        })
        .catch(() => undefined),
    ]);
    // The link the app was started with arrived before anything listened.
    const start = await ipc.takeOpen().catch(() => null);
    if (start) await this.openDeepLink(start.promotion_id, start.profile ?? null);
  }

  async loadSession(): Promise<void> {
    try {
      const s = await ipc.sessionInfo();
      this.session = s;
      this.backends = s.backends;
      this.sessionStatus = 'ready';
      this.sessionError = null;
    } catch (e) {
      this.sessionError = e as IpcError;
      this.sessionStatus = 'failed';
    }
  }

  async loadInbox(): Promise<void> {
    try {
      this.inbox = await ipc.inbox();
      this.inboxStatus = 'ready';
      this.inboxError = null;
    } catch (e) {
      this.inboxError = e as IpcError;
      this.inboxStatus = 'failed';
    }
  }

  /** Opens profile `name` (`null`: the simulated world) and reloads what shows. */
  async switchProfile(name: string | null): Promise<void> {
    try {
      const s = await ipc.openProfile(name);
      this.session = s;
      this.backends = s.backends;
      this.sessionError = null;
      this.inboxStatus = 'loading';
      await this.loadInbox();
      this.go({ screen: 'inbox' });
      this.say(`Opened ${name ?? 'the simulated world'}`, 'good');
    } catch (e) {
      const err = e as IpcError;
      this.say(`Could not open ${name ?? 'the simulated world'}: ${err.message}`, 'bad');
    }
  }

  async openDeepLink(id: string, profile: string | null): Promise<void> {
    if (profile !== null && this.session !== null && profile !== this.session.profile) {
      // `sandbox` names the simulated world, unless a configured profile has that name.
      const simulated = profile === 'sandbox' && !this.session.profiles.includes(profile);
      await this.switchProfile(simulated ? null : profile);
    }
    this.go({ screen: 'promotion', id });
  }

  go(r: Route): void {
    const hash = routeHash(r);
    if (location.hash !== hash) location.hash = hash;
    this.setRoute(r);
  }

  /** Changes screens only when the route differs (the hashchange after go() is a no-op). */
  private setRoute(r: Route): void {
    if (routeHash(r) !== routeHash(this.route)) this.route = r;
  }

  toggleTheme(): void {
    this.theme = this.theme === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(THEME_KEY, this.theme);
    } catch {
      // Not persisted; the toggle still applies to this window.
    }
    this.applyTheme();
  }

  applyTheme(): void {
    document.documentElement.dataset.theme = this.theme;
  }

  say(text: string, tone: 'good' | 'bad'): void {
    this.notice = { text, tone };
    const mine = this.notice;
    setTimeout(() => {
      if (this.notice === mine) this.notice = null;
    }, 6000);
  }
}

export const app = new AppState();
