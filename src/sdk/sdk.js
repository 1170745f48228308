/*! chatwoot-identity browser script: proves the signed-in user to Chatwoot (MIT) */
// Served as is by GET /sdk.js. Dependency-free. It never throws into the page, never loops, and
// never writes a token, identifier or hash to the console.
;(() => {
  'use strict'
  const w = window
  if (w.ChatwootIdentity) return // loaded twice: the first copy stays in charge

  const script = document.currentScript
  const RETRIES = 3 // after the first try: at most four requests per identify()
  const BASE_DELAY_MS = 500
  const MAX_DELAY_MS = 8000
  const HASH = /^[0-9a-f]{64}$/
  const PROFILE = ['name', 'email', 'avatar_url', 'phone_number']
  let generation = 0 // identify() and logout() start a new one; older runs then stop quietly
  let ready

  const warn = (message) => {
    try {
      console.warn(`chatwoot-identity: ${message}`)
    } catch {
      // no console: nothing to do
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

  /** `<base>/v1/identity[?inbox=]`; the base is where this script was loaded from unless given. */
  function identityUrl(endpoint, inbox) {
    let base = endpoint || (script && script.src)
    if (!base) throw new Error('no endpoint')
    base = new URL(base, location.href).href
    if (endpoint) base = base.replace(/\/v1\/identity\/?$/, '').replace(/\/?$/, '/')
    const url = new URL('v1/identity', base)
    if (inbox) url.searchParams.set('inbox', inbox)
    return url.href
  }

  const chatwootReady = () => {
    const chatwoot = w.$chatwoot
    return Boolean(chatwoot && chatwoot.hasLoaded && typeof chatwoot.setUser === 'function')
  }

  /** Resolves once Chatwoot's widget has loaded: at once, or on its `chatwoot:ready` event. */
  function whenChatwootReady() {
    ready ||= new Promise((resolve) => {
      if (chatwootReady()) resolve()
      else w.addEventListener('chatwoot:ready', () => resolve(), { once: true })
    })
    return ready
  }

  /** The answer's fields for setUser, or null when it is not an identity answer. */
  function attributesOf(body) {
    if (!body || typeof body.identifier !== 'string' || body.identifier === '') return null
    if (typeof body.identifier_hash !== 'string' || !HASH.test(body.identifier_hash)) return null
    const attributes = { identifier_hash: body.identifier_hash }
    for (const field of PROFILE) if (typeof body[field] === 'string') attributes[field] = body[field]
    return { identifier: body.identifier, attributes }
  }

  /** Capped exponential backoff with jitter, never shorter than a (capped) Retry-After. */
  function delayFor(attempt, response) {
    const backoff = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt) * (0.5 + Math.random() / 2)
    const retryAfter = Number(response && response.headers.get('retry-after'))
    return Number.isFinite(retryAfter) && retryAfter > 0
      ? Math.max(backoff, Math.min(MAX_DELAY_MS, retryAfter * 1000))
      : backoff
  }

  /** One identity answer: 'ok' with the identity, or why not. Retries only what may pass. */
  async function fetchIdentity(url, getToken, run) {
    for (let attempt = 0; ; attempt++) {
      let token
      if (getToken) {
        try {
          token = await getToken()
        } catch {
          warn('getToken() failed')
          return { outcome: 'failed' }
        }
        if (run !== generation) return { outcome: 'cancelled' }
        if (!token) return { outcome: 'no_session' }
      }
      let response
      try {
        response = await fetch(url, {
          method: 'GET',
          cache: 'no-store',
          // A Bearer token is the whole credential; cookies only count without one.
          credentials: token ? 'omit' : 'include',
          headers: token ? { Authorization: `Bearer ${token}` } : {},
        })
      } catch {
        response = undefined // network failure, or an origin the service does not allow
      }
      if (run !== generation) return { outcome: 'cancelled' }
      if (response && response.ok) {
        const identity = attributesOf(await response.json().catch(() => null))
        if (identity) return { outcome: 'ok', identity }
        warn('unexpected answer from the identity service')
        return { outcome: 'failed' }
      }
      if (response && response.status === 401) return { outcome: 'no_session' } // not signed in
      const transient = !response || response.status === 429 || response.status >= 500
      if (!transient) {
        const problem = await response.json().catch(() => null)
        const code = problem && typeof problem.code === 'string' ? problem.code : response.status
        warn(`identity request refused (${code})`)
        return { outcome: 'failed' }
      }
      if (attempt >= RETRIES) {
        warn('identity service unreachable, giving up')
        return { outcome: 'failed' }
      }
      await sleep(delayFor(attempt, response))
      if (run !== generation) return { outcome: 'cancelled' }
    }
  }

  /**
   * Fetches the signed-in user's identity and hands it to Chatwoot once its widget is ready.
   * Resolves (never rejects) with 'identified', 'no_session', 'failed' or 'cancelled'.
   */
  async function identify(options) {
    try {
      const { endpoint, getToken } = options || {}
      // The tag's data-inbox is the default, so identify() again after a sign-in needs no options.
      const inbox = (options && options.inbox) || (script && script.getAttribute('data-inbox')) || undefined
      if (getToken !== undefined && typeof getToken !== 'function') throw new Error('getToken')
      const url = identityUrl(endpoint, inbox)
      const run = ++generation
      const result = await fetchIdentity(url, getToken, run)
      if (result.outcome !== 'ok') return result.outcome
      await whenChatwootReady()
      if (run !== generation) return 'cancelled'
      const { identifier, attributes } = result.identity
      w.$chatwoot.setUser(identifier, attributes)
      return 'identified'
    } catch {
      warn('identify() failed: check its options and that Chatwoot is on the page')
      return 'failed'
    }
  }

  /** Forgets the user in Chatwoot (call it at sign-out); an identify() still running is dropped. */
  function logout() {
    generation++
    try {
      if (w.$chatwoot && typeof w.$chatwoot.reset === 'function') w.$chatwoot.reset()
    } catch {
      warn('$chatwoot.reset() failed')
    }
  }

  w.ChatwootIdentity = Object.freeze({ identify, logout })

  // <script src=".../sdk.js" data-inbox="website" async>: identify with the session cookie.
  if (script && script.hasAttribute('data-inbox')) {
    identify()
  }
})()
