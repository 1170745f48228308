import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { ZodType } from 'zod'
import { NotModified, SdkQuery, SdkScript } from '../schemas.js'
import {
  etagMatches,
  loadSdk,
  SDK_CONTENT_TYPE,
  SDK_PATH,
  sdkCacheControl,
  versionedSdkPath,
} from '../sdk-asset.js'
import { SCRIPT_SECURITY_HEADERS } from '../security-headers.js'

// GET /sdk.js: the drop-in browser script, read once at start and served from memory.
const sdkRoute: FastifyPluginAsyncZod = async (fastify) => {
  const asset = loadSdk()
  fastify.log.info({ sdk: versionedSdkPath(asset) }, 'browser script ready')

  fastify.get(
    SDK_PATH,
    {
      schema: {
        operationId: 'sdk',
        summary: 'The browser script: identifies the signed-in user to Chatwoot',
        description:
          'Dependency-free. `<script src=".../sdk.js" data-inbox="website" async></script>` identifies ' +
          'with the session cookie; `ChatwootIdentity.identify({ endpoint, inbox, getToken })` with a ' +
          'Bearer token; `ChatwootIdentity.logout()` resets Chatwoot. `?v=<version>` (the ETag without ' +
          'quotes) is cached for a year, the bare URL for 5 minutes; both revalidate with If-None-Match.',
        tags: ['browser'],
        querystring: SdkQuery,
        produces: ['text/javascript'],
        // Documentation only: the body is bytes sent as they are, never serialised.
        response: { 200: SdkScript, 304: NotModified } as Record<number, ZodType>,
      },
    },
    (request, reply) => {
      reply
        .headers(SCRIPT_SECURITY_HEADERS)
        .header('etag', asset.etag)
        .header('cache-control', sdkCacheControl(asset, request.query.v))
      if (etagMatches(request.headers['if-none-match'], asset.etag)) return reply.code(304).send()
      return reply.type(SDK_CONTENT_TYPE).send(asset.body)
    },
  )
}

export default sdkRoute
