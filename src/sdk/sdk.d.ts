// Types for the chatwoot-identity browser script (GET /sdk.js), which defines window.ChatwootIdentity.
// Copy this file into your project (or reference it) to type calls to it.

export interface ChatwootIdentityOptions {
  /**
   * Base URL of the chatwoot-identity service, e.g. `https://identity.example.com` (a full
   * `.../v1/identity` URL works too). Default: where sdk.js was loaded from.
   */
  endpoint?: string
  /** Inbox to sign for. Default: the script tag's `data-inbox`; may be left out when the service has one. */
  inbox?: string
  /**
   * Returns the user's session JWT, sent as `Authorization: Bearer`; called before every try, so
   * a refreshed token is picked up. A falsy value means "not signed in". Without getToken, the
   * session cookie is sent instead (`credentials: 'include'`).
   */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>
}

/**
 * How identify() ended: `identified` (setUser was called), `no_session` (not signed in: a 401 or
 * no token), `failed` (refused, malformed, or unreachable after a few retries), or `cancelled`
 * (logout() or a newer identify() came first).
 */
export type ChatwootIdentityOutcome = 'identified' | 'no_session' | 'failed' | 'cancelled'

export interface ChatwootIdentity {
  /**
   * Fetches `/v1/identity` and, once Chatwoot's widget is ready, calls
   * `window.$chatwoot.setUser(identifier, { identifier_hash, ...profile })`. Never rejects.
   */
  identify(options?: ChatwootIdentityOptions): Promise<ChatwootIdentityOutcome>
  /** Calls `window.$chatwoot.reset()` and drops any identify() still running. */
  logout(): void
}

declare global {
  interface Window {
    ChatwootIdentity?: ChatwootIdentity
  }
}
