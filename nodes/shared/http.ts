import type { ICredentialTestFunctions } from 'n8n-workflow';

import type { HttpRequester, HttpResponse } from '../../lib/http/requester';

/**
 * An HttpRequester on the request helper n8n gives credential tests (its legacy `request`), so that a
 * credential test goes through n8n's proxy settings as node runs do.
 */
export function credentialTestRequester(context: ICredentialTestFunctions): HttpRequester {
	return async (options) =>
		(await context.helpers.request({
			method: options.method,
			uri: options.url,
			headers: options.headers,
			body: options.body,
			json: typeof options.body === 'object',
			timeout: options.timeout,
			followRedirect: false,
			followAllRedirects: false,
			resolveWithFullResponse: true,
			simple: false,
		})) as HttpResponse;
}
