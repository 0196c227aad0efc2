import type { ICredentialTestFunctions } from 'n8n-workflow';

import type { HttpRequester } from '../../lib/http/requester';

// n8n's own HTTP helper (the one `this.helpers.httpRequest` uses in a running node), so transport
// tests exercise the real request path. It is not exported from the package root.
const helpers = require('n8n-core/dist/execution-engine/node-execution-context/utils/request-helper-functions') as {
	httpRequest: (options: unknown) => Promise<unknown>;
};

export const n8nHttpRequest: HttpRequester = async (options) =>
	(await helpers.httpRequest(options)) as Awaited<ReturnType<HttpRequester>>;

// The legacy `request` helper n8n hands credential tests (ICredentialTestFunctions.helpers.request).
const legacy = require('n8n-core/dist/execution-engine/node-execution-context/utils/request-helper-functions') as {
	proxyRequestToAxios: (workflow: unknown, additionalData: unknown, node: unknown, options: unknown) => Promise<unknown>;
};

/** What n8n gives a credential test as `this`. */
export const credentialTestContext = {
	helpers: { request: async (options: unknown) => await legacy.proxyRequestToAxios(undefined, undefined, undefined, options) },
} as unknown as ICredentialTestFunctions;
