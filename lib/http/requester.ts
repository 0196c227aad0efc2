/**
 * The HTTP function the transports send through: n8n's `helpers.httpRequest` in nodes (so n8n's proxy
 * settings, trace headers and request policy apply), `fetchRequester` where n8n offers none.
 */
export interface HttpRequestOptions {
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
	url: string;
	headers: Record<string, string>;
	body?: string | Record<string, unknown> | unknown[];
	/** Full response with any status; the transport decides what is an error. */
	returnFullResponse: true;
	ignoreHttpStatusErrors: true;
	json?: boolean;
	timeout?: number;
	/** `text`: the body as it came, unparsed (the caller parses it once). */
	encoding?: 'text';
	/** Redirects are never followed: the token and the keys stay with the host they are for. */
	disableFollowRedirect: true;
}

export interface HttpResponse {
	statusCode: number;
	headers: Record<string, unknown>;
	body: unknown;
}

export type HttpRequester = (options: HttpRequestOptions) => Promise<HttpResponse>;

/** A response body as text, whatever form the requester gave it in (text, bytes, or parsed JSON). */
export function bodyText(response: HttpResponse): string {
	const { body } = response;
	if (body === undefined || body === null) return '';
	if (typeof body === 'string') return body;
	return Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body);
}
