import { createHash } from 'node:crypto';

import { AuthenticationHandler, Client, type MiddlewareOptions } from '@microsoft/microsoft-graph-client';

import { fetchRequester } from '../http/fetch-requester';
import { bodyText, type HttpRequester, type HttpResponse } from '../http/requester';
import { DEFAULT_RETRY_POLICY, networkFailureMessage, parseRetryAfter, retryDelay, sleep, type RetryPolicy } from '../http/retry';
import { KeyedSemaphore, Semaphore } from '../http/semaphore';
import { redact } from '../http/redact';
import { TokenCache } from '../http/token-cache';
import { CLIENT_ASSERTION_TYPE, clientAssertion, parseCertificateSignIn, type CertificateSignIn } from './client-assertion';
import { KNOWN_GRAPH_HOSTS, type GraphEndpoints } from './clouds';
import { ErrorMappingHandler, GraphApiError, GraphAuthError, toGraphApiError } from './errors';
import { BatchedUrls, fail, failureOfCall, IdempotentRequest, shortPath } from './middleware/context';
import { MailboxGateHandler, type GraphGates } from './middleware/gate';
import { addPreference, GraphHeadersHandler, IMMUTABLE_ID_PREFERENCE } from './middleware/headers';
import { RequestLogHandler, type GraphRequestInfo } from './middleware/log';
import { RetryHandler } from './middleware/retry';
import { RequesterHandler } from './middleware/send';

export { GraphApiError, GraphAuthError, toGraphApiError } from './errors';
export { IdempotentRequest, mailboxOf } from './middleware/context';
export type { GraphGates } from './middleware/gate';
export { addPreference, IMMUTABLE_ID_PREFERENCE } from './middleware/headers';
export { graphRequestKind, type GraphRequestInfo } from './middleware/log';

export interface GraphConnection extends GraphEndpoints {
	tenantId: string;
	clientId: string;
	/** One of the two: a client secret, or a certificate and its private key. */
	clientSecret?: string;
	certificate?: CertificateSignIn;
}

/**
 * The credential's secret material, from which the keys that sign clientStates and links are derived:
 * only holders of the credential can make or check them, and nothing secret is stored anywhere.
 */
export function secretMaterial(connection: GraphConnection): string {
	const material = connection.certificate ? connection.certificate.privateKey.trim() : connection.clientSecret;
	if (!material) throw new Error('The Microsoft Graph credential has neither a client secret nor a certificate');
	return material;
}

export interface GraphTransportOptions {
	retry?: RetryPolicy;
	/** Requests in flight per mailbox (Exchange Online allows 4 per app and mailbox). */
	perMailboxConcurrency?: number;
	/** Requests in flight for the whole client. */
	totalConcurrency?: number;
	onRequest?: (info: GraphRequestInfo) => void;
	tokenCache?: TokenCache;
	sleep?: (ms: number) => Promise<void>;
	/** Concurrency gates shared by every transport of one credential, so limits hold across executions. */
	gates?: GraphGates;
	/** Sends every request, token requests included: n8n's request helper in a node. */
	http?: HttpRequester;
	/** A request that has no answer after this long is given up (and resent when that is safe). */
	timeoutMs?: number;
	/** A read stops with an error beyond this many pages or items. */
	maxPages?: number;
	maxItems?: number;
}

export const GRAPH_TIMEOUT_MS = 60_000;
export const DEFAULT_GRAPH_MAX_PAGES = 5_000;
export const DEFAULT_GRAPH_MAX_ITEMS = 500_000;

export function createGates(perMailbox = 4, total = 32): GraphGates {
	return { mailbox: new KeyedSemaphore(perMailbox), total: new Semaphore(total) };
}

/** Token cache shared by all Graph nodes and executions in this process. */
export const graphTokenCache = new TokenCache({ renewBeforeMs: 5 * 60 * 1000 });

export interface BatchRequest {
	id: string;
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
	/** Relative to the version root, e.g. `/users/a@b.c/events`. */
	url: string;
	headers?: Record<string, string>;
	body?: unknown;
	dependsOn?: string[];
	/** Safe to resend after a lost batch response (e.g. a create with transactionId, a PATCH). */
	idempotent?: boolean;
}

export interface BatchResponse {
	id: string;
	status: number;
	headers: Record<string, string>;
	body: unknown;
	/** Set when the outcome is unknown (network failure on a non-idempotent request). */
	unknownOutcome?: boolean;
}

export const MAX_BATCH_SIZE = 20;

/**
 * Microsoft Graph through `@microsoft/microsoft-graph-client`, with:
 * client-credentials tokens (cached, shared, refreshed on expiry); the token only sent to the
 * configured Graph host (a non-Microsoft host, such as a national-cloud proxy or a local emulator,
 * is declared as a custom host); `Prefer: IdType="ImmutableId"` on every call; retries honouring
 * Retry-After on 429/503/504; at most 4 requests in flight per mailbox; `$batch` in chunks of 20
 * with inner 429s retried.
 */
export class GraphTransport {
	readonly client: Client;
	private readonly retry: RetryPolicy;
	private readonly tokenCache: TokenCache;
	private readonly wait: (ms: number) => Promise<void>;
	private readonly http: HttpRequester;
	private readonly graphOrigin: string;

	constructor(
		readonly connection: GraphConnection,
		private readonly options: GraphTransportOptions = {},
	) {
		this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
		this.tokenCache = options.tokenCache ?? graphTokenCache;
		this.wait = options.sleep ?? sleep;
		this.http = options.http ?? fetchRequester;
		const perMailbox = options.perMailboxConcurrency ?? 4;
		const gates = options.gates ?? createGates(perMailbox, options.totalConcurrency ?? 32);
		const base = new URL(connection.graphBaseUrl);
		this.graphOrigin = base.origin;
		const customHosts = KNOWN_GRAPH_HOSTS.has(base.hostname) ? undefined : new Set([base.hostname]);
		// One concern per handler, in the order a request meets them (the Graph SDK's own model).
		const chain = [
			new AuthenticationHandler({ getAccessToken: () => this.token() }),
			new GraphHeadersHandler((url) => this.isGraphUrl(url)),
			new ErrorMappingHandler(),
			new RetryHandler({ policy: this.retry, delay: (ms) => this.wait(ms), reauthenticate: (refused) => this.reauthenticate(refused) }),
			new MailboxGateHandler(gates, perMailbox),
			new RequestLogHandler((info) => this.observe(info)),
			new RequesterHandler(this.http, () => this.timeoutMs),
		];
		for (let i = 0; i + 1 < chain.length; i++) chain[i].setNext(chain[i + 1]);
		this.client = Client.initWithMiddleware({
			middleware: chain[0],
			baseUrl: connection.graphBaseUrl.replace(/\/+$/, '') + '/',
			defaultVersion: 'v1.0',
			customHosts,
		});
	}

	/** GET a resource (path relative to /v1.0 or an absolute nextLink/deltaLink). */
	async get<T = Record<string, unknown>>(path: string, headers: Record<string, string> = {}): Promise<T> {
		return this.call(() => this.client.api(path).headers(headers).get(), 'GET', path);
	}

	/** Every item of a collection, following `@odata.nextLink` (within the paging limits). */
	async getAll<T = Record<string, unknown>>(path: string, headers: Record<string, string> = {}): Promise<T[]> {
		const items: T[] = [];
		const pages = this.pager(path);
		let next: string | undefined = path;
		while (next) {
			const page: { value?: T[]; '@odata.nextLink'?: string } = await this.get(pages.next(next), headers);
			items.push(...(page.value ?? []));
			pages.count(items.length);
			next = page['@odata.nextLink'];
		}
		return items;
	}

	/**
	 * Guards a paged read: a link seen before, more pages or items than the limits allow, or a link to
	 * another host stop it with an error that names the limit.
	 */
	pager(first: string): { next(link: string): string; count(items: number): void } {
		const seen = new Set<string>();
		const maxPages = this.options.maxPages ?? DEFAULT_GRAPH_MAX_PAGES;
		const maxItems = this.options.maxItems ?? DEFAULT_GRAPH_MAX_ITEMS;
		const where = shortPath(first);
		return {
			next: (link) => {
				if (seen.has(link)) throw new GraphApiError(0, `Microsoft Graph returned the same next link twice (${where}); paging stopped`);
				if (seen.size >= maxPages) throw new GraphApiError(0, `Microsoft Graph paging stopped at the limit of ${maxPages} pages (${where}); the read is incomplete`);
				if (/^https?:/i.test(link) && !this.isGraphUrl(link)) throw new GraphApiError(0, `Microsoft Graph returned a next link to another host; it is not followed (${where})`);
				seen.add(link);
				return link;
			},
			count: (items) => {
				if (items > maxItems) throw new GraphApiError(0, `Microsoft Graph paging stopped at the limit of ${maxItems} items (${where}); the read is incomplete`);
			},
		};
	}

	async post<T = Record<string, unknown>>(
		path: string,
		body: unknown,
		options: { headers?: Record<string, string>; idempotent?: boolean; batchedUrls?: string[] } = {},
	): Promise<T> {
		const middlewareOptions: MiddlewareOptions[] = [new IdempotentRequest(options.idempotent ?? false)];
		if (options.batchedUrls) middlewareOptions.push(new BatchedUrls(options.batchedUrls));
		return this.call(
			() =>
				this.client
					.api(path)
					.headers(options.headers ?? {})
					.middlewareOptions(middlewareOptions)
					.post(body),
			'POST',
			path,
		);
	}

	async patch<T = Record<string, unknown>>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
		return this.call(() => this.client.api(path).headers(headers).patch(body), 'PATCH', path);
	}

	async delete(path: string, headers: Record<string, string> = {}): Promise<void> {
		await this.call(() => this.client.api(path).headers(headers).delete(), 'DELETE', path);
	}

	/**
	 * Sends any number of requests through `$batch`, 20 at a time (requests chained by `dependsOn`
	 * stay in one batch). Inner 429/503/504 answers are retried after the longest Retry-After, inner
	 * 401s once with a fresh token. The result has one response per request id.
	 */
	async batch(requests: BatchRequest[]): Promise<Map<string, BatchResponse>> {
		const results = new Map<string, BatchResponse>();
		for (const chunk of chunkBatch(requests)) {
			for (const response of await this.sendBatchChunk(chunk)) results.set(response.id, response);
		}
		return results;
	}

	private async sendBatchChunk(chunk: BatchRequest[]): Promise<BatchResponse[]> {
		const done: BatchResponse[] = [];
		let pending = chunk;
		let reauthenticated = false;
		for (let round = 0; pending.length > 0; round++) {
			const tokenUsed = await this.token();
			const allIdempotent = pending.every((r) => r.idempotent || r.method === 'GET' || r.method === 'DELETE' || r.method === 'PATCH');
			let answered: BatchResponse[];
			try {
				const body = await this.post<{ responses?: Array<{ id: string; status: number; headers?: Record<string, string>; body?: unknown }> }>(
					'/$batch',
					{
						// Each inner request carries its own headers (the batch's are not passed on): immutable ids here too.
						requests: pending.map(({ id, method, url, headers, body, dependsOn }) => ({
							id,
							method,
							url,
							...(body !== undefined ? { body } : {}),
							headers: {
								...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
								...(headers ?? {}),
								Prefer: addPreference(headers?.Prefer, IMMUTABLE_ID_PREFERENCE),
							},
							...(dependsOn && dependsOn.length ? { dependsOn } : {}),
						})),
					},
					{ idempotent: allIdempotent, batchedUrls: pending.map((r) => r.url) },
				);
				answered = (body.responses ?? []).map((r) => ({ id: String(r.id), status: Number(r.status), headers: r.headers ?? {}, body: r.body }));
			} catch (error) {
				if (error instanceof GraphApiError && (error.status === 0 || error.status === 504) && !allIdempotent) {
					// The batch may or may not have been carried out: let the caller verify before resending.
					return [...done, ...pending.map((r) => ({ id: r.id, status: 0, headers: {}, body: { error: { code: 'UnknownOutcome', message: error.message } }, unknownOutcome: true }))];
				}
				throw error;
			}
			const byId = new Map(answered.map((r) => [r.id, r]));
			const retryable: BatchRequest[] = [];
			let longestWait = 0;
			// A token that expired while the batch ran is refused per request; refused requests were not
			// carried out, so they are sent again (once) with a fresh token, whatever their method.
			const refused = !reauthenticated && answered.some((r) => r.status === 401);
			if (refused) {
				this.invalidateToken(tokenUsed);
				reauthenticated = true;
			}
			for (const request of pending) {
				const response = byId.get(request.id);
				if (!response) {
					retryable.push(request);
					continue;
				}
				if (refused && response.status === 401) {
					retryable.push(request);
					continue;
				}
				const transient = response.status === 429 || response.status === 503 || response.status === 504;
				if (transient && round < this.retry.maxRetries) {
					retryable.push(request);
					const header = Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
					longestWait = Math.max(longestWait, retryDelay(round + 1, this.retry, parseRetryAfter(header)));
				} else if (response.status === 424 && request.dependsOn?.some((d) => retryable.some((r) => r.id === d))) {
					// Failed only because its dependency was throttled: send it again with the dependency.
					retryable.push(request);
				} else {
					done.push(response);
				}
			}
			if (retryable.length === 0) break;
			if (round >= this.retry.maxRetries) {
				for (const request of retryable) done.push(byId.get(request.id) ?? { id: request.id, status: 0, headers: {}, body: { error: { code: 'NoResponse', message: 'The batch gave no answer for this request' } } });
				break;
			}
			await this.wait(longestWait);
			const retryIds = new Set(retryable.map((r) => r.id));
			pending = retryable.map((r) => ({ ...r, dependsOn: r.dependsOn?.filter((d) => retryIds.has(d)) }));
		}
		return done;
	}

	/** Runs an SDK call and turns its errors into readable ones. */
	private async call<T>(run: () => Promise<T>, method: string, path: string): Promise<T> {
		const holder: { error?: Error } = {};
		try {
			return await failureOfCall.run(holder, run);
		} catch (error) {
			throw holder.error ?? toGraphApiError(error, method, path);
		}
	}

	/** Whether a URL is on the configured Graph host (the only place the token may go). */
	isGraphUrl(url: string): boolean {
		try {
			return new URL(url).origin === this.graphOrigin;
		} catch {
			return false;
		}
	}

	tokenKey(): string {
		const { loginUrl, tenantId, clientId, graphBaseUrl } = this.connection;
		return createHash('sha256').update([loginUrl, tenantId, clientId, secretMaterial(this.connection), graphBaseUrl].join('\u0000')).digest('hex');
	}

	async token(): Promise<string> {
		try {
			return await this.tokenCache.get(this.tokenKey(), () => this.requestToken());
		} catch (error) {
			return fail(error as Error);
		}
	}

	invalidateToken(token: string): void {
		this.tokenCache.invalidate(this.tokenKey(), token);
	}

	/** Client-credentials grant against Entra ID, with the client secret or a signed client assertion. */
	private async requestToken() {
		const { loginUrl, tenantId, clientId, graphBaseUrl, certificate } = this.connection;
		const tokenUrl = `${loginUrl.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
		const scope = `${new URL(graphBaseUrl).origin}/.default`;
		const secret = secretMaterial(this.connection);
		const proof: Record<string, string> = certificate
			? { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion({ clientId, tokenUrl, signIn: parseCertificateSignIn(certificate) }) }
			: { client_secret: secret };
		const form = new URLSearchParams({ client_id: clientId, ...proof, scope, grant_type: 'client_credentials' });
		const started = Date.now();
		let response: HttpResponse;
		try {
			response = await this.http({
				method: 'POST',
				url: tokenUrl,
				headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
				body: form.toString(),
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				// A redirect is not followed: the client secret is posted nowhere else.
				disableFollowRedirect: true,
				timeout: this.timeoutMs,
				encoding: 'text',
			});
		} catch (error) {
			this.observe({ method: 'POST', url: tokenUrl, status: 0, durationMs: Date.now() - started, kind: 'POST token' });
			throw new GraphAuthError(`Microsoft Entra ID (${tokenUrl}) could not be reached: ${networkFailureMessage(error)}`, 0);
		}
		const status = response.statusCode;
		this.observe({ method: 'POST', url: tokenUrl, status, durationMs: Date.now() - started, kind: 'POST token' });
		if (status >= 300 && status < 400) {
			throw new GraphAuthError(`Microsoft Entra ID (${tokenUrl}) answered ${status} with a redirect; it is not followed, so that the ${certificate ? 'client assertion' : 'client secret'} is sent nowhere else`, status);
		}
		const text = bodyText(response);
		let body: { access_token?: string; expires_in?: number; error?: string; error_description?: string } = {};
		try {
			body = JSON.parse(text);
		} catch {
			// keep the text for the message
		}
		if (status < 200 || status >= 300 || !body.access_token) {
			const description = body.error_description ?? (text.slice(0, 300) || `status ${status}`);
			// Microsoft's own text says what is wrong (e.g. AADSTS7000215 invalid client secret).
			const firstLine = description.split(/\r?\n/)[0];
			throw new GraphAuthError(
				redact(`Microsoft Entra ID refused the app "${clientId}" in tenant "${tenantId}": ${body.error ? `${body.error}: ` : ''}${firstLine}`, [secret]),
				status,
			);
		}
		return { accessToken: body.access_token, expiresIn: body.expires_in };
	}

	observe(info: GraphRequestInfo): void {
		this.options.onRequest?.(info);
	}

	/** The token sent was refused (401): drop it and get a fresh one. */
	private async reauthenticate(refused: string): Promise<string> {
		this.invalidateToken(refused);
		return this.token();
	}

	get timeoutMs(): number {
		return this.options.timeoutMs ?? GRAPH_TIMEOUT_MS;
	}

	get retryPolicy(): RetryPolicy {
		return this.retry;
	}

	delay(ms: number): Promise<void> {
		return this.wait(ms);
	}
}

/** Status, code and message of a failed request in a $batch (or of the batch that carried it). */
export function describeBatchFailure(response: BatchResponse | undefined): string {
	if (!response) return 'no answer in the batch';
	const error = (response.body as { error?: { code?: string; message?: string } })?.error;
	return `${response.status} ${error?.code ?? ''} ${error?.message ?? ''}`.replace(/\s+/g, ' ').trim();
}

/** Requests in chunks of at most 20 for `$batch`; requests chained by `dependsOn` stay in one chunk. */
export function chunkBatch(requests: BatchRequest[]): BatchRequest[][] {
	// Group requests linked by dependsOn, then pack groups into chunks of ≤ 20.
	const groupOf = new Map<string, string>();
	const find = (id: string): string => {
		const parent = groupOf.get(id) ?? id;
		if (parent === id) return id;
		const root = find(parent);
		groupOf.set(id, root);
		return root;
	};
	for (const request of requests) groupOf.set(request.id, request.id);
	for (const request of requests) for (const dep of request.dependsOn ?? []) if (groupOf.has(dep)) groupOf.set(find(request.id), find(dep));
	const groups = new Map<string, BatchRequest[]>();
	for (const request of requests) {
		const root = find(request.id);
		groups.set(root, [...(groups.get(root) ?? []), request]);
	}
	const chunks: BatchRequest[][] = [];
	let current: BatchRequest[] = [];
	for (const group of groups.values()) {
		if (group.length > MAX_BATCH_SIZE) throw new Error(`${group.length} requests depend on each other; a $batch holds at most ${MAX_BATCH_SIZE}`);
		if (current.length + group.length > MAX_BATCH_SIZE) {
			chunks.push(current);
			current = [];
		}
		current.push(...group);
	}
	if (current.length) chunks.push(current);
	return chunks;
}
