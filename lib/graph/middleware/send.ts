import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

import { bodyText, type HttpRequester, type HttpRequestOptions, type HttpResponse } from '../../http/requester';
import { factsOf, headerRecord, RequestTimeout } from './context';

/**
 * The end of the chain: sends the request through the transport's HttpRequester (n8n's request
 * helper in a node, so n8n's proxy settings apply), with a time limit and no redirect followed, and
 * hands the SDK a fetch Response.
 */
export class RequesterHandler implements Middleware {
	constructor(
		private readonly http: HttpRequester,
		private readonly timeoutMs: () => number,
	) {}

	setNext(): void {
		throw new Error('The requester handler ends the chain');
	}

	async execute(context: Context): Promise<void> {
		const { url, method } = factsOf(context);
		const body = context.options?.body;
		const timeout = this.timeoutMs();
		const options: HttpRequestOptions = {
			method: method as HttpRequestOptions['method'],
			url,
			headers: headerRecord(context.options?.headers),
			...(body !== undefined && body !== null ? { body: typeof body === 'string' ? body : String(body) } : {}),
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			disableFollowRedirect: true,
			timeout,
			// The SDK parses the body itself: n8n's helper hands it over as text.
			encoding: 'text',
		};
		let answer: HttpResponse;
		try {
			answer = await this.http(options);
		} catch (error) {
			throw isTimeout(error) ? new RequestTimeout(timeout) : error;
		}
		context.response = toFetchResponse(answer);
	}
}

function isTimeout(error: unknown): boolean {
	const { name, code, message } = (error ?? {}) as { name?: string; code?: string; message?: string };
	return name === 'TimeoutError' || name === 'AbortError' || (code === 'ECONNABORTED' && /timeout/i.test(message ?? ''));
}

const NO_BODY = new Set([101, 204, 205, 304]);

function toFetchResponse(answer: HttpResponse): Response {
	const headers = new Headers();
	for (const [key, value] of Object.entries(answer.headers ?? {})) {
		if (value === undefined || value === null) continue;
		for (const one of Array.isArray(value) ? value : [value]) headers.append(key, String(one));
	}
	const text = bodyText(answer);
	// Content-Length and encoding were the wire's; the body handed on is decoded text.
	headers.delete('content-length');
	headers.delete('content-encoding');
	headers.delete('transfer-encoding');
	return new Response(NO_BODY.has(answer.statusCode) ? null : text, { status: answer.statusCode, headers });
}
