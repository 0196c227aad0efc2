import type { HttpRequester } from './requester';

/**
 * An HttpRequester on the platform's fetch, for places where n8n offers no request helper of its
 * own (credential tests get only the legacy `request`).
 */
export const fetchRequester: HttpRequester = async (options) => {
	const controller = new AbortController();
	const timer = setTimeout(() => controller.abort(), options.timeout ?? 60_000);
	try {
		const body =
			options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
		// Redirects are never followed (the transports refuse them): credentials stay with their host.
		const response = await fetch(options.url, { method: options.method, headers: options.headers, body, signal: controller.signal, redirect: 'manual' });
		const text = await response.text();
		let parsed: unknown = text;
		if (options.encoding !== 'text' && (response.headers.get('content-type') ?? '').includes('json') && text !== '') {
			try {
				parsed = JSON.parse(text);
			} catch {
				parsed = text;
			}
		}
		const headers: Record<string, unknown> = {};
		response.headers.forEach((value, key) => (headers[key] = value));
		return { statusCode: response.status, headers, body: parsed };
	} finally {
		clearTimeout(timer);
	}
};
