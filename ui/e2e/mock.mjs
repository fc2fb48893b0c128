// The mocked Tauri IPC, injected before the app's scripts with
// page.addInitScript. It stands in for what @tauri-apps/api/core calls:
// window.__TAURI_INTERNALS__.invoke / transformCallback / unregisterCallback,
// and what @tauri-apps/api/event's unlisten calls. Every answer comes from
// the typed fixtures (fixtures.ts); the mock computes nothing. Each call is
// recorded in window.__ipc.calls so tests can assert what the UI sent.

/** Runs in the page. `world` is fixtures.world(), serialized. */
export function installMock(world) {
  const callbacks = new Map();
  const listeners = new Map(); // event -> [{ id, handlerId }]
  let nextId = 1;
  const calls = [];
  const csp = [];

  document.addEventListener('securitypolicyviolation', (e) => {
    csp.push(`${e.violatedDirective}: ${e.blockedURI || e.sample}`);
  });

  const fail = (code, message) => Promise.reject({ code, message });
  const clone = (v) => JSON.parse(JSON.stringify(v));
  const withComment = (review, comment) =>
    JSON.parse(JSON.stringify(review).split('__COMMENT__').join(JSON.stringify(comment).slice(1, -1)));

  function answer(cmd, args) {
    switch (cmd) {
      case 'session_info':
        return world.session;
      case 'open_profile':
        return { ...world.session, profile: args.name ?? 'sandbox', sandbox: args.name === null, banner: args.name === null ? world.session.banner : null };
      case 'inbox':
        return world.inbox;
      case 'promotion': {
        const d = world.details[args.id];
        return d ? clone(d) : fail('not_found', `no promotion ${args.id}`);
      }
      case 'promotions':
        return world.promotions[args.model] ?? [];
      case 'approve':
        return withComment(world.approved, args.comment);
      case 'reject':
        // The Rust side refuses a blank comment too; the UI must never get here with one.
        if (typeof args.comment !== 'string' || args.comment.trim() === '') {
          return fail('invalid_request', 'a rejection needs a comment');
        }
        return withComment(world.rejected, args.comment);
      case 'execute':
        return world.executed;
      case 'rollback':
        return fail('forbidden', `${cmd} is not allowed in this fixture`);
      case 'fleet':
        return world.fleet;
      case 'versions':
        return world.versions[args.model] ?? fail('not_found', `no model ${args.model}`);
      case 'compare':
        return world.comparison;
      case 'compare_evidence':
        return world.evidence;
      case 'compare_curve': {
        const c = world.curves[args.metric];
        return c ? c : fail('not_found', `metric "${args.metric}" is not logged by both runs; both have: logloss, auc`);
      }
      case 'metric_history': {
        const h = world.metricHistory[args.model]?.[args.metric ?? ''];
        return h ?? fail('not_found', `no model ${args.model}`);
      }
      case 'health':
        return world.health;
      case 'save_chart':
        // Rust draws and writes; here only the answer: the path, or the
        // refusal a test put in the world.
        if (world.saveChartError) return fail(world.saveChartError.code, world.saveChartError.message);
        return `/home/reviewer/Downloads/${args.fileName}.${args.format}`;
      case 'audit':
        return world.audit;
      case 'take_open': {
        // The start link a test put in the world, taken once.
        const open = world.startLink ?? null;
        world.startLink = null;
        return open;
      }
      case 'plugin:event|listen': {
        const list = listeners.get(args.event) ?? [];
        const id = nextId++;
        list.push({ id, handlerId: args.handler });
        listeners.set(args.event, list);
        return id;
      }
      case 'plugin:event|unlisten': {
        const list = listeners.get(args.event) ?? [];
        listeners.set(args.event, list.filter((l) => l.id !== args.eventId));
        return null;
      }
      default:
        return Promise.reject(`command ${cmd} not found`);
    }
  }

  window.__TAURI_INTERNALS__ = {
    invoke(cmd, args = {}) {
      if (!cmd.startsWith('plugin:event|')) calls.push({ cmd, args: clone(args) });
      try {
        return Promise.resolve(answer(cmd, args));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    transformCallback(cb, once = false) {
      const id = nextId++;
      callbacks.set(id, (payload) => {
        if (once) callbacks.delete(id);
        return cb(payload);
      });
      return id;
    },
    unregisterCallback(id) {
      callbacks.delete(id);
    },
    convertFileSrc(path) {
      return path;
    },
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = {
    unregisterListener(event, id) {
      const list = listeners.get(event) ?? [];
      listeners.set(event, list.filter((l) => l.id !== id));
    },
  };
  window.__ipc = {
    calls,
    csp,
    world,
    /** Emits `event` to the app's listeners, as the Rust side would. */
    emit(event, payload) {
      for (const l of listeners.get(event) ?? []) {
        callbacks.get(l.handlerId)?.({ event, id: l.id, payload });
      }
    },
    listening(event) {
      return (listeners.get(event) ?? []).length;
    },
  };
}
