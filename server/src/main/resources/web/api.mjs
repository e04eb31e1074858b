// The REST side of docs/api.md, and the token. (The streams are the client library's: stream.mjs.)
import { urlOf } from './routes.mjs';

const TOKEN_KEY = 'stepstream.token';
/**
 * What a token is made of: RFC 7230's tchar, which a WebSocket subprotocol (where the page sends
 * it, `stepstream.bearer.<token>`) must be made of. The server's tokens (`ss_` + base64url) and
 * JWTs (base64url parts joined by dots) are; a space, a comma or a quote is not.
 */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A token as typed or pasted: trimmed, and without the `Bearer ` of a header copied with it. */
export function cleanToken(value) { return value.trim().replace(/^bearer\s+/i, ''); }

/** Whether a cleaned value is a token the page can send. */
export function isToken(value) { return TOKEN.test(value); }

const saved = () => cleanToken(localStorage.getItem(TOKEN_KEY) || '');

/**
 * The token the page sends, saved under Token; '' when none is saved, or what is saved is no
 * token (tokenMalformed): the page then reads as without one, rather than fail to open a stream.
 */
export function token() { return isToken(saved()) ? saved() : ''; }

/** Whether something is saved under Token that is not a token (an older page saved any text). */
export function tokenMalformed() { return saved() !== '' && !isToken(saved()); }

/** Saves a token (isToken's), or forgets it for ''. */
export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value); else localStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = body && body.error;
    super(e ? e.message : `HTTP ${status}`);
    this.status = status;
    this.code = e && e.code;
    this.details = e && e.details;
  }
}

/**
 * Why the server refuses the page what a token would give it (a 401, or a stream closed with 1008,
 * the token's end), in the page's words: that it needs a token, when none is set, or that the one
 * set expired or was revoked. A clause: the run page's connection status shows it as it is, a
 * page that cannot be shown as a sentence.
 */
export function tokenTrouble() {
  return token() ? 'the token expired or was revoked: set a new one under Token' : 'this server needs a token: set one under Token';
}

/**
 * Why the server refused this token an action, for a 401 or 403 ApiError, in the page's words:
 * `Your token may not retry: retrying needs the operator role, and yours is viewer. …`. `may` is
 * the verb of the action (decide), `doing` what it does (approving or rejecting); `needs` the role
 * to name when the server names none (a 401 names none).
 */
export function refusal(err, { may, doing, needs = 'operator' }) {
  if (err.status === 403) {
    return `Your token may not ${may}: ${doing} needs the ${err.details?.needs || needs} role`
      + `${err.details?.role ? `, and yours is ${err.details.role}` : ''}. Someone whose token allows it can.`;
  }
  return token()
    ? `Your token may not ${may}: the server did not accept it (expired or revoked?). Set another under Token.`
    : `Your token may not ${may}: ${doing} needs a token with the ${needs} role. Set one under Token.`;
}

/** A call of the API's `path` (`/api/v2/…`, as at the root: routes.mjs puts it under the page's root). */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(urlOf(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}
