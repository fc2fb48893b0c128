// Screens as hash routes (`#/promotion/<id>`), so a deep link, the back
// button and a reload all land on the same screen.

export type Route =
  | { screen: 'inbox' }
  | { screen: 'promotion'; id: string }
  | { screen: 'fleet' }
  | { screen: 'model'; model: string | null }
  | { screen: 'audit'; model: string | null };

/** The route of a location hash; anything unknown is the inbox. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, ...rest] = path.split('/');
  const arg = rest.length > 0 && rest.join('/') !== '' ? safeDecode(rest.join('/')) : null;
  switch (head) {
    case 'promotion':
      return arg === null ? { screen: 'inbox' } : { screen: 'promotion', id: arg };
    case 'fleet':
      return { screen: 'fleet' };
    case 'model':
      return { screen: 'model', model: arg };
    case 'audit':
      return { screen: 'audit', model: arg };
    default:
      return { screen: 'inbox' };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The hash of a route (`#/model/fraud-detector`). */
export function routeHash(r: Route): string {
  switch (r.screen) {
    case 'inbox':
      return '#/inbox';
    case 'fleet':
      return '#/fleet';
    case 'promotion':
      return `#/promotion/${encodeURIComponent(r.id)}`;
    case 'model':
      return r.model === null ? '#/model' : `#/model/${encodeURIComponent(r.model)}`;
    case 'audit':
      return r.model === null ? '#/audit' : `#/audit/${encodeURIComponent(r.model)}`;
  }
}
