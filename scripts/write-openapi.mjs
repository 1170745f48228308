// Regenerates openapi.yaml from the routes' zod schemas (the test suite fails when it drifts).
import { writeFileSync } from 'node:fs'
import { generateOpenApi } from '../dist/openapi-document.js'

writeFileSync(new URL('../openapi.yaml', import.meta.url), await generateOpenApi())
console.log('openapi.yaml written')
