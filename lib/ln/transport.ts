import { createHash } from 'node:crypto';

import {
	DEFAULT_RETRY_POLICY,
	isNetworkError,
	networkFailureMessage,
	isTransientStatus,
	parseRetryAfter,
	retryDelay,
	sleep,
	type RetryPolicy,
} from '../http/retry';
import { redact } from '../http/redact';
import { mapLimit, type Semaphore } from '../http/semaphore';
import type { HttpRequester, HttpRequestOptions, HttpResponse } from '../http/requester';
import { TokenCache } from '../http/token-cache';
import { LN_ODATA_ROOT } from './contract';
import type { IonApiConfig } from './ionapi';


export interface LnConnection {
	ion: IonApiConfig;
	/** LN company number, sent as X-Infor-LnCompany. */
	company: string;
	/** Optional 5-character language tag, sent as Content-Language. */
	language?: string;
}

export interface LnRequestInfo {
	method: string;
	url: string;
	status: number;
	durationMs: number;
	/** Label for counting, e.g. `GET Activities`. */
	kind: string;
}

export interface LnTransportOptions {
	retry?: RetryPolicy;
	/** Called once per HTTP request actually sent (token requests included). */
	onRequest?: (info: LnRequestInfo) => void;
	tokenCache?: TokenCache;
	timeoutMs?: number;
	sleep?: (ms: number) => Promise<void>;
	/** A read stops with an error beyond this many pages or items (a server that pages forever). */
	maxPages?: number;
	maxItems?: number;
	/** Caps requests in flight to the gateway; shared by every transport of one credential in a process. */
	gate?: Semaphore;
}

/** Requests in flight to one LN gateway from one n8n process, unless the credential says otherwise. */
export const DEFAULT_LN_CONCURRENCY = 8;

/** Paging limits of one read, unless the transport is given others. */
export const DEFAULT_MAX_PAGES = 5_000;
export const DEFAULT_MAX_ITEMS = 500_000;

/** LN's error body: `{Code, Message, Details[{Code, Message}], InnerError{…}}`. */
export interface LnErrorBody {
	Code?: string;
	Message?: string;
	Details?: Array<{ Code?: string; Message?: string }>;
	InnerError?: { StatusCode?: number; RequestId?: string; [key: string]: unknown };
}

const STATUS_TEXT: Record<number, string> = {
	400: 'Bad Request',
	401: 'Unauthorized',
	403: 'Forbidden',
	404: 'Not Found',
	405: 'Method Not Allowed',
	409: 'Conflict',
	412: 'Precondition Failed',
	415: 'Unsupported Media Type',
	422: 'Unprocessable Entity',
	428: 'Precondition Required',
	429: 'Too Many Requests',
	500: 'Internal Server Error',
	502: 'Bad Gateway',
	503: 'Service Unavailable',
	504: 'Gateway Timeout',
};

/** An LN answer that is an error, made readable; never carries a secret. */
export class LnApiError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly lnCode?: string,
		readonly lnMessage?: string,
		readonly details: string[] = [],
		readonly requestId?: string,
	) {
		super(message);
		this.name = 'LnApiError';
	}

	/** True when a retry cannot help (bad data, missing record, rejected by LN). */
	get isPermanent(): boolean {
		return this.status >= 400 && this.status < 500 && this.status !== 429 && this.status !== 401;
	}
}

/** The token endpoint refused the credentials. */
export class LnAuthError extends Error {
	constructor(
		message: string,
		readonly status: number,
	) {
		super(message);
		this.name = 'LnAuthError';
	}
}

/** LN refused a query option it does not support ($count, $skip, $top): 400 or 501. */
function refusedQueryOption(error: unknown): boolean {
	return error instanceof LnApiError && (error.status === 400 || error.status === 501);
}

/** The default token cache, shared by all nodes and executions in this process. */
export const lnTokenCache = new TokenCache({ renewBeforeMs: 2 * 60 * 1000 });

export interface LnEntity<T = Record<string, unknown>> {
	data: T;
	etag?: string;
}

export interface LnPage<T = Record<string, unknown>> {
	value: T[];
	nextLink?: string;
	/** `@odata.count`, when the request asked for it with `$count=true`. */
	count?: number;
}

interface SendOptions {
	body?: Record<string, unknown> | unknown[];
	headers?: Record<string, string>;
	/** Safe to send again after a network failure or a 5xx (GET, PATCH, DELETE). */
	idempotent: boolean;
}

/**
 * OData v4 requests to LN through the ION API gateway: bearer token (cached, renewed before expiry,
 * one retry on a transient 401), company and language headers, paging by `@odata.nextLink`,
 * `If-Match` updates (412 → re-read and retry once), LN's error body turned into a readable error,
 * retry with back-off honouring Retry-After on 429 and 5xx.
 */
export class LnTransport {
	private readonly retry: RetryPolicy;
	private readonly tokenCache: TokenCache;
	private readonly wait: (ms: number) => Promise<void>;

	constructor(
		readonly connection: LnConnection,
		private readonly http: HttpRequester,
		private readonly options: LnTransportOptions = {},
	) {
		this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
		this.tokenCache = options.tokenCache ?? lnTokenCache;
		this.wait = options.sleep ?? sleep;
		validateCompany(connection.company);
		if (connection.language && !/^[a-z]{2}-[A-Z]{2}$/.test(connection.language)) {
			throw new Error(`The LN language "${connection.language}" must be a tag like en-US`);
		}
	}

	/** `{iu}/{ti}/LN/lnapi/odata/{service}` */
	serviceUrl(service: string): string {
		const { gatewayUrl, tenant } = this.connection.ion;
		return `${gatewayUrl}/${encodeURIComponent(tenant)}/${LN_ODATA_ROOT}/${service}`;
	}

	/** Builds an OData URL; query values are percent-encoded, `$` option names are kept. */
	url(service: string, resource: string, query: Record<string, string | number | undefined> = {}): string {
		const params = Object.entries(query)
			.filter(([, value]) => value !== undefined && value !== '')
			.map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`);
		return `${this.serviceUrl(service)}/${resource}${params.length ? `?${params.join('&')}` : ''}`;
	}

	/** One page of a collection. */
	async getPage<T = Record<string, unknown>>(url: string, headers?: Record<string, string>): Promise<LnPage<T>> {
		const response = await this.send('GET', url, { idempotent: true, headers });
		const body = response.body as { value?: T[]; '@odata.nextLink'?: string };
		if (!body || !Array.isArray(body.value)) {
			throw new LnApiError(response.statusCode, `LN answered ${url} without a "value" list`);
		}
		const count = (body as { '@odata.count'?: unknown })['@odata.count'];
		return { value: body.value, nextLink: body['@odata.nextLink'], ...(typeof count === 'number' ? { count } : {}) };
	}

	/**
	 * Every item of a collection, following `@odata.nextLink` to the end (or `maxItems`). Next links go
	 * to the ION API gateway only (the token goes with them); a repeated link or a read beyond the
	 * paging limits stops with an error.
	 */
	async getAll<T = Record<string, unknown>>(url: string, maxItems = Infinity): Promise<T[]> {
		const items: T[] = [];
		await this.follow(url, url, items, new Set<string>(), maxItems);
		return items.slice(0, maxItems);
	}

	/**
	 * Every item of a collection ordered by a unique key (`$orderby` in `url`), up to `pagesAtATime`
	 * pages read side by side: the first page brings the count and LN's page size; the others are read
	 * by `$skip`/`$top`, each starting with the last item of the page before it. When a page does not
	 * start there (a record was added or removed meanwhile, or LN ignored `$skip`), or LN gives no count,
	 * the rest is read one page after the other by next links, as `getAll` does: a record that exists
	 * throughout the read is never missed, whichever way it was read.
	 */
	async getAllSideBySide<T = Record<string, unknown>>(url: string, keyOf: (item: T) => string, pagesAtATime: number): Promise<T[]> {
		if (/[?&]\$(top|skip|skiptoken|count)=/.test(url)) throw new Error(`getAllSideBySide pages by itself; ${shortUrl(url)} already has $top, $skip or $count`);
		const withQuery = (query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;
		const seen = new Set<string>();
		const firstUrl = withQuery('$count=true');
		seen.add(firstUrl);
		let first: LnPage<T>;
		try {
			first = await this.getPage<T>(firstUrl);
		} catch (error) {
			// An LN that refuses $count is read one page after the other.
			if (refusedQueryOption(error)) return await this.getAll<T>(url);
			throw error;
		}
		const items = [...first.value];
		const pageSize = first.value.length;
		const total = first.count;
		if (!first.nextLink) return items;
		if (total === undefined || pageSize < 2 || total <= pageSize) {
			await this.follow(first.nextLink, url, items, seen);
			return items;
		}
		this.checkLimits(url, Math.ceil(total / pageSize), total);
		// Each page repeats the last item of the one before: pages of pageSize - 1 new items.
		const starts: number[] = [];
		for (let start = pageSize - 1; start < total - 1; start += pageSize - 1) starts.push(start);
		const pages = await mapLimit(starts, Math.max(1, pagesAtATime), async (start) => {
			const last = start === starts[starts.length - 1];
			// The last page has no $top, so that records added at the end since the count are read too.
			const pageUrl = withQuery(`$skip=${start}${last ? '' : `&$top=${pageSize}`}`);
			try {
				const page: T[] = [];
				await this.follow(pageUrl, url, page, new Set<string>());
				return page;
			} catch (error) {
				// LN refused $skip or $top: read by next links instead.
				if (refusedQueryOption(error)) return undefined;
				throw error;
			}
		});
		let lastKey = keyOf(items[items.length - 1]);
		for (const page of pages) {
			if (!page || page.length === 0 || keyOf(page[0]) !== lastKey) {
				const sequential: T[] = [...first.value];
				await this.follow(first.nextLink, url, sequential, seen);
				return sequential;
			}
			for (const item of page.slice(1)) items.push(item);
			lastKey = keyOf(items[items.length - 1]);
		}
		return items;
	}

	/** Reads `next` and the pages after it into `items`; `url` names the read in errors. */
	private async follow<T>(next: string | undefined, url: string, items: T[], seen: Set<string>, maxItems = Infinity): Promise<void> {
		while (next && items.length < maxItems) {
			if (seen.has(next)) throw new LnApiError(0, `LN returned the same next page link twice (${shortUrl(next)}); paging stopped`);
			this.checkLimits(url, seen.size + 1, items.length);
			if (!this.onGateway(next)) throw new LnApiError(0, `LN returned a next page link to another host (${safeOrigin(next)}); it is not followed, so that the token stays with the ION API gateway`);
			seen.add(next);
			const page: LnPage<T> = await this.getPage<T>(next);
			items.push(...page.value);
			this.checkLimits(url, seen.size, items.length);
			next = page.nextLink;
		}
	}

	/** A read beyond the paging limits stops with an error: a server that pages forever. */
	private checkLimits(url: string, pages: number, items: number): void {
		const maxPages = this.options.maxPages ?? DEFAULT_MAX_PAGES;
		const itemCap = this.options.maxItems ?? DEFAULT_MAX_ITEMS;
		if (pages > maxPages) throw new LnApiError(0, `LN paging stopped at the limit of ${maxPages} pages (${shortUrl(url)}); the read is incomplete`);
		if (items > itemCap) throw new LnApiError(0, `LN paging stopped at the limit of ${itemCap} items (${shortUrl(url)}); the read is incomplete`);
	}

	/** Whether a URL is on the ION API gateway (scheme, host and port). */
	private onGateway(url: string): boolean {
		try {
			return new URL(url).origin === new URL(this.connection.ion.gatewayUrl).origin;
		} catch {
			return false;
		}
	}

	/** One entity with its ETag; undefined when LN answers 404. */
	async getEntity<T = Record<string, unknown>>(url: string): Promise<LnEntity<T> | undefined> {
		try {
			const response = await this.send('GET', url, { idempotent: true });
			return { data: response.body as T, etag: etagOf(response) };
		} catch (error) {
			if (error instanceof LnApiError && error.status === 404) return undefined;
			throw error;
		}
	}

	/** POST to a collection; returns the created representation. Not retried on ambiguous failures. */
	async create<T = Record<string, unknown>>(url: string, body: Record<string, unknown>): Promise<LnEntity<T>> {
		const response = await this.send('POST', url, {
			body,
			idempotent: false,
			headers: { Prefer: 'return=representation' },
		});
		return { data: response.body as T, etag: etagOf(response) };
	}

	/**
	 * PATCH with `If-Match`. Without a known ETag the record is read first. A 412 (someone changed the
	 * record meanwhile) re-reads it and retries once; a second 412 is surfaced.
	 */
	async update<T = Record<string, unknown>>(
		url: string,
		changes: Record<string, unknown>,
		etag?: string,
		/** `decidedOnRead`: the changes were decided from the record as read with `etag`, so a record
		 * changed since is not overwritten (a 412 then throws, unless it already holds the values). */
		options: { decidedOnRead?: boolean } = {},
	): Promise<LnEntity<T>> {
		let currentEtag = etag ?? (await this.requireEntity(url)).etag;
		for (let attempt = 1; ; attempt++) {
			try {
				const response = await this.send('PATCH', url, {
					body: changes,
					idempotent: true,
					headers: { 'If-Match': currentEtag ?? '*', Prefer: 'return=representation' },
				});
				const data = (response.statusCode === 204 ? { ...changes } : response.body) as T;
				return { data, etag: etagOf(response) };
			} catch (error) {
				if (error instanceof LnApiError && error.status === 412 && attempt === 1) {
					// Changed since it was read: when it already holds these values (another writer of
					// the same run decided alike), there is nothing left to write.
					const current = await this.requireEntity(url);
					if (Object.entries(changes).every(([field, value]) => JSON.stringify(current.data[field]) === JSON.stringify(value))) return current as LnEntity<T>;
					if (options.decidedOnRead) throw error;
					currentEtag = current.etag;
					continue;
				}
				if (error instanceof LnApiError && error.status === 428) {
					throw new LnApiError(
						428,
						`LN requires an ETag (If-Match) to update ${url}, and none could be read from the record: ${error.message}`,
						error.lnCode,
						error.lnMessage,
						error.details,
						error.requestId,
					);
				}
				throw error;
			}
		}
	}

	/** GET of the `$metadata` document of a service (used by the credential test). */
	async metadata(service: string): Promise<string> {
		const response = await this.send('GET', `${this.serviceUrl(service)}/$metadata`, {
			idempotent: true,
			headers: { Accept: 'application/xml' },
		});
		return typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
	}

	private async requireEntity(url: string): Promise<LnEntity> {
		const entity = await this.getEntity(url);
		if (!entity) throw new LnApiError(404, `LN has no record at ${url}`);
		return entity;
	}

	/** Sends one request with token, headers, retries and error translation. */
	private async send(method: HttpRequestOptions['method'], url: string, options: SendOptions): Promise<HttpResponse> {
		let refreshedToken = false;
		for (let attempt = 0; ; attempt++) {
			const token = await this.token();
			let response: HttpResponse;
			const started = Date.now();
			try {
				const request = () =>
					this.http({
						method,
						url,
						headers: {
							Accept: 'application/json',
							...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
							Authorization: `Bearer ${token}`,
							'X-Infor-LnCompany': this.connection.company,
							...(this.connection.language ? { 'Content-Language': this.connection.language } : {}),
							...(options.headers ?? {}),
						},
						body: options.body,
						json: options.body !== undefined ? true : undefined,
						returnFullResponse: true,
						ignoreHttpStatusErrors: true,
						timeout: this.options.timeoutMs ?? 60_000,
						disableFollowRedirect: true,
					});
				response = this.options.gate ? await this.options.gate.run(request) : await request();
			} catch (error) {
				this.observe(method, url, 0, started);
				if (isNetworkError(error) && options.idempotent && attempt < this.retry.maxRetries) {
					await this.wait(retryDelay(attempt + 1, this.retry));
					continue;
				}
				throw new LnApiError(
					0,
					`LN could not be reached for ${method} ${url}: ${networkFailureMessage(error)}` +
						(options.idempotent ? '' : ' (the request may or may not have been carried out)'),
				);
			}
			this.observe(method, url, response.statusCode, started);
			const status = response.statusCode;
			if (status >= 200 && status < 300) return response;
			if (status >= 300 && status < 400) {
				throw new LnApiError(status, `LN answered ${status} to ${method} ${shortUrl(url)} with a redirect to ${safeOrigin(headerValue(response, 'location') ?? '')}; redirects are not followed, so that the token stays with the ION API gateway`);
			}
			if (status === 401 && !refreshedToken) {
				// ION sometimes refuses a valid token once (e.g. "OAuth [U14]"); get a fresh one and retry.
				this.tokenCache.invalidate(this.tokenKey(), token);
				refreshedToken = true;
				continue;
			}
			const retryable = status === 429 || status === 503 || (options.idempotent && isTransientStatus(status)) ||
				(options.idempotent && status >= 500);
			if (retryable && attempt < this.retry.maxRetries) {
				const retryAfter = parseRetryAfter(headerValue(response, 'retry-after'));
				await this.wait(retryDelay(attempt + 1, this.retry, retryAfter));
				continue;
			}
			throw toLnApiError(method, url, response);
		}
	}

	private observe(method: string, url: string, status: number, started: number): void {
		this.options.onRequest?.({ method, url, status, durationMs: Date.now() - started, kind: lnRequestKind(method, url) });
	}

	private tokenKey(): string {
		const { tokenUrl, clientId, clientSecret, serviceAccountAccessKey } = this.connection.ion;
		return createHash('sha256')
			.update([tokenUrl, clientId, clientSecret, serviceAccountAccessKey ?? ''].join('\u0000'))
			.digest('hex');
	}

	private token(): Promise<string> {
		return this.tokenCache.get(this.tokenKey(), () => this.requestToken());
	}

	/** Password grant with the service-account keys, or client credentials when the file has none. */
	private async requestToken() {
		const ion = this.connection.ion;
		const form = new URLSearchParams();
		if (ion.serviceAccountAccessKey && ion.serviceAccountSecretKey) {
			form.set('grant_type', 'password');
			form.set('username', ion.serviceAccountAccessKey);
			form.set('password', ion.serviceAccountSecretKey);
		} else {
			form.set('grant_type', 'client_credentials');
		}
		const basic = Buffer.from(`${ion.clientId}:${ion.clientSecret}`).toString('base64');
		const started = Date.now();
		let response: HttpResponse;
		try {
			response = await this.http({
				method: 'POST',
				url: ion.tokenUrl,
				headers: {
					'Content-Type': 'application/x-www-form-urlencoded',
					Accept: 'application/json',
					Authorization: `Basic ${basic}`,
				},
				body: form.toString(),
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: this.options.timeoutMs ?? 60_000,
				disableFollowRedirect: true,
			});
		} catch (error) {
			this.observe('POST', ion.tokenUrl, 0, started);
			throw new LnAuthError(`The ION API token endpoint ${ion.tokenUrl} could not be reached: ${networkFailureMessage(error)}`, 0);
		}
		this.observe('POST', ion.tokenUrl, response.statusCode, started);
		if (response.statusCode >= 300 && response.statusCode < 400) {
			// Following it would post the client secret and the service-account keys to another address.
			throw new LnAuthError(`The ION API token endpoint ${ion.tokenUrl} answered ${response.statusCode} with a redirect; it is not followed, so that the keys are sent nowhere else`, response.statusCode);
		}
		const body = parseMaybeJson(response.body) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
		if (response.statusCode !== 200 || !body?.access_token) {
			const reason = [body?.error, body?.error_description].filter(Boolean).join(': ') || `status ${response.statusCode}`;
			const grant = ion.serviceAccountAccessKey ? 'password grant with the service-account keys' : 'client-credentials grant';
			throw new LnAuthError(
				redact(`ION API refused the ${grant} for client "${ion.clientId}" (${response.statusCode}): ${reason}`, [
					ion.clientSecret,
					ion.serviceAccountSecretKey,
					ion.serviceAccountAccessKey,
				]),
				response.statusCode,
			);
		}
		return { accessToken: body.access_token, expiresIn: body.expires_in };
	}
}

function validateCompany(company: string): void {
	if (!/^\d{1,4}$/.test(String(company ?? '').trim())) {
		throw new Error(`The LN company "${company}" must be a number from 0 to 9999`);
	}
}

/** A stable label such as `GET Activities` or `PATCH Attendees` for request counting. */
export function lnRequestKind(method: string, url: string): string {
	let path = url;
	try {
		path = new URL(url).pathname;
	} catch {
		// not absolute: use as is
	}
	if (/token|oauth2/i.test(path) && method === 'POST' && !path.includes('/lnapi/')) return 'POST token';
	const afterService = path.split('/lnapi/odata/')[1] ?? path;
	const segments = afterService.split('/').slice(1);
	const last = segments.filter(Boolean).pop() ?? '';
	const entity = decodeURIComponent(last).replace(/\(.*$/, '');
	return `${method} ${entity || 'service'}`;
}

function headerValue(response: HttpResponse, name: string): string | undefined {
	for (const [key, value] of Object.entries(response.headers ?? {})) {
		if (key.toLowerCase() === name) return Array.isArray(value) ? String(value[0]) : String(value);
	}
	return undefined;
}

function etagOf(response: HttpResponse): string | undefined {
	const header = headerValue(response, 'etag');
	if (header) return header;
	const body = response.body as Record<string, unknown> | undefined;
	const tag = body?.['@odata.etag'];
	return typeof tag === 'string' ? tag : undefined;
}

function parseMaybeJson(body: unknown): unknown {
	if (typeof body === 'string') {
		try {
			return JSON.parse(body);
		} catch {
			return body;
		}
	}
	if (Buffer.isBuffer(body)) return parseMaybeJson(body.toString('utf8'));
	return body;
}

function toLnApiError(method: string, url: string, response: HttpResponse): LnApiError {
	const status = response.statusCode;
	const parsed = parseMaybeJson(response.body);
	const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as LnErrorBody & {
		error?: unknown;
		error_description?: string;
	};
	const statusText = STATUS_TEXT[status] ?? 'Error';
	const lnMessage = typeof body?.Message === 'string' ? body.Message : undefined;
	// LN often repeats its message among the details; show each text once.
	const details = Array.isArray(body?.Details)
		? [...new Set(body.Details.map((d) => d?.Message).filter((m): m is string => typeof m === 'string' && m !== '' && m !== body.Message))]
		: [];
	const fallback =
		typeof parsed === 'string'
			? parsed.slice(0, 300)
			: typeof body.error_description === 'string'
				? body.error_description
				: '';
	const hint =
		status === 404
			? ' (the record does not exist, or the service is not active for this company)'
			: status === 401
				? ' (the ION API token was refused twice)'
				: status === 403
					? ' (the LN service user lacks the authorization)'
					: '';
	const text = [lnMessage ?? fallback, ...details].filter(Boolean).join(' — ');
	return new LnApiError(
		status,
		`LN answered ${status} ${statusText} to ${method} ${shortUrl(url)}${text ? `: ${text}` : ''}${hint}`,
		body?.Code,
		lnMessage,
		details,
		body?.InnerError?.RequestId,
	);
}

/** The part of an LN URL after `/lnapi/odata/`, which is what a person needs to see. */
function shortUrl(url: string): string {
	const index = url.indexOf('/lnapi/odata/');
	return index >= 0 ? url.slice(index + '/lnapi/odata/'.length) : url;
}

/** The scheme, host and port of a URL (never its path or query, which may carry anything). */
function safeOrigin(url: string): string {
	try {
		return new URL(url).origin;
	} catch {
		return 'an address that is not a URL';
	}
}

export { redact };
