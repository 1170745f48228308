import fastifyCookie from '@fastify/cookie'
import fp from 'fastify-plugin'

// Cookies are parsed only on demand (fastify.parseCookie), by the one route hook that needs the
// session cookie: no per-request hook for everything else.
export default fp(
  async (fastify) => {
    await fastify.register(fastifyCookie, { hook: false })
  },
  { name: 'cookie' },
)
