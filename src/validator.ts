import type { FastifySchemaCompiler } from 'fastify'
import type { z } from 'zod'

/**
 * Requests are validated by the routes' zod schemas. Fastify turns the issues into an error whose
 * `validation` lists them (`instancePath` as in Ajv), which the error handler maps to a problem code.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data)
    if (result.success) return { value: result.data }
    return {
      error: result.error.issues.map((issue) => ({
        keyword: issue.code,
        instancePath: `/${issue.path.join('/')}`,
        schemaPath: `#/${issue.path.join('/')}`,
        params: {},
        message: issue.message,
      })),
    }
  }
