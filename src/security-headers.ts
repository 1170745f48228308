// Headers for a JSON API, on every answer (set once per request, in the hook that sets X-Request-Id):
// nothing here is meant to be rendered, framed, sniffed or embedded by another site. Each header costs
// every request, so only those OWASP's REST cheat sheet lists for all API answers (with CORP): not
// Referrer-Policy, which it counts among the headers that matter for HTML, as an answer that is never
// rendered has no links or subresources to send a Referer from.
export const API_SECURITY_HEADERS = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
})

// The browser script is the one thing other sites embed: a cross-origin <script> is a no-cors
// request, which `Cross-Origin-Resource-Policy: same-origin` would block.
export const SCRIPT_SECURITY_HEADERS = Object.freeze({
  'cross-origin-resource-policy': 'cross-origin',
})
