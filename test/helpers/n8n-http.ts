import type { HttpRequester } from '../../lib/ln/transport';

// n8n's own HTTP helper (the one `this.helpers.httpRequest` uses in a running node), so transport
// tests exercise the real request path. It is not exported from the package root.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helpers = require('n8n-core/dist/execution-engine/node-execution-context/utils/request-helper-functions') as {
	httpRequest: (options: unknown) => Promise<unknown>;
};

export const n8nHttpRequest: HttpRequester = async (options) =>
	(await helpers.httpRequest(options)) as Awaited<ReturnType<HttpRequester>>;
