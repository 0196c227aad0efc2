import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';

import {
	AuthenticationHandler,
	Client,
	GraphError,
	HTTPMessageHandler,
	type Context,
	type Middleware,
	type MiddlewareOptions,
} from '@microsoft/microsoft-graph-client';

import {
	DEFAULT_RETRY_POLICY,
	isNetworkError,
	networkFailureMessage,
	parseRetryAfter,
	retryDelay,
	sleep,
	type RetryPolicy,
} from '../http/retry';
import { KeyedSemaphore, Semaphore } from '../http/semaphore';
import { redact } from '../http/redact';
import { TokenCache } from '../http/token-cache';
import { CLIENT_ASSERTION_TYPE, clientAssertion, parseCertificateSignIn, type CertificateSignIn } from './client-assertion';
import { KNOWN_GRAPH_HOSTS, type GraphEndpoints } from './clouds';

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

export interface GraphRequestInfo {
	method: string;
	url: string;
	status: number;
	durationMs: number;
	mailbox?: string;
	/** Label for counting, e.g. `GET calendarView/delta`. */
	kind: string;
	/** Inner requests carried, for `$batch`. */
	batchSize?: number;
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
	/** A request that has no answer after this long is given up (and resent when that is safe). */
	timeoutMs?: number;
	/** A read stops with an error beyond this many pages or items. */
	maxPages?: number;
	maxItems?: number;
}

export const GRAPH_TIMEOUT_MS = 60_000;
export const DEFAULT_GRAPH_MAX_PAGES = 5_000;
export const DEFAULT_GRAPH_MAX_ITEMS = 500_000;

export interface GraphGates {
	mailbox: KeyedSemaphore;
	total: Semaphore;
}

export function createGates(perMailbox = 4, total = 32): GraphGates {
	return { mailbox: new KeyedSemaphore(perMailbox), total: new Semaphore(total) };
}

/** A readable Graph error; never carries a secret. */
export class GraphApiError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly code?: string,
		readonly mailbox?: string,
		readonly requestId?: string,
		readonly retryAfterMs?: number,
	) {
		super(message);
		this.name = 'GraphApiError';
	}

	/** The app may not touch this mailbox (Exchange RBAC for Applications / access policy) or it does not exist. */
	get isMailboxAccessError(): boolean {
		return (
			this.status === 403 ||
			this.code === 'ErrorAccessDenied' ||
			this.code === 'ErrorInvalidUser' ||
			this.code === 'MailboxNotEnabledForRESTAPI'
		);
	}
}

export class GraphAuthError extends Error {
	constructor(
		message: string,
		readonly status: number,
	) {
		super(message);
		this.name = 'GraphAuthError';
	}
}

/** Per-request option: the request may be sent again after a network failure (no duplicate can result). */
export class IdempotentRequest implements MiddlewareOptions {
	constructor(readonly idempotent: boolean) {}
}

/**
 * The SDK wraps errors thrown inside its middleware chain into a bare GraphError; our own errors
 * (with status, code and mailbox) are kept here for the call that caused them.
 */
const failureOfCall = new AsyncLocalStorage<{ error?: Error }>();

function fail(error: Error): never {
	const holder = failureOfCall.getStore();
	if (holder) holder.error = error;
	throw error;
}

/** Token cache shared by all Graph nodes and executions in this process. */
export const graphTokenCache = new TokenCache({ renewBeforeMs: 5 * 60 * 1000 });

export const IMMUTABLE_ID_PREFERENCE = 'IdType="ImmutableId"';

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
	private readonly mailboxGate: KeyedSemaphore;
	private readonly totalGate: Semaphore;
	private readonly perMailbox: number;
	private readonly graphOrigin: string;

	constructor(
		readonly connection: GraphConnection,
		private readonly options: GraphTransportOptions = {},
	) {
		this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
		this.tokenCache = options.tokenCache ?? graphTokenCache;
		this.wait = options.sleep ?? sleep;
		this.perMailbox = options.perMailboxConcurrency ?? 4;
		const gates = options.gates ?? createGates(this.perMailbox, options.totalConcurrency ?? 32);
		this.mailboxGate = gates.mailbox;
		this.totalGate = gates.total;
		const base = new URL(connection.graphBaseUrl);
		this.graphOrigin = base.origin;
		const customHosts = KNOWN_GRAPH_HOSTS.has(base.hostname) ? undefined : new Set([base.hostname]);
		const auth = new AuthenticationHandler({ getAccessToken: () => this.token() });
		const policy = new GraphPolicyMiddleware(this);
		const http = new HTTPMessageHandler();
		auth.setNext(policy);
		policy.setNext(http);
		this.client = Client.initWithMiddleware({
			middleware: auth,
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
		options: { headers?: Record<string, string>; idempotent?: boolean } = {},
	): Promise<T> {
		return this.call(
			() =>
				this.client
					.api(path)
					.headers(options.headers ?? {})
					.middlewareOptions([new IdempotentRequest(options.idempotent ?? false)])
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

	/** Splits requests into chunks of at most 20 (exported for tests). */
	static chunk(requests: BatchRequest[]): BatchRequest[][] {
		return chunkBatch(requests);
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
						requests: pending.map(({ id, method, url, headers, body, dependsOn }) => ({
							id,
							method,
							url,
							...(body !== undefined ? { body, headers: { 'Content-Type': 'application/json', ...(headers ?? {}) } } : headers ? { headers } : {}),
							...(dependsOn && dependsOn.length ? { dependsOn } : {}),
						})),
					},
					{ idempotent: allIdempotent },
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
		let response: Response;
		try {
			response = await fetch(tokenUrl, {
				method: 'POST',
				headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
				body: form.toString(),
				// A redirect is not followed: the client secret is posted nowhere else.
				redirect: 'manual',
				signal: AbortSignal.timeout(this.options.timeoutMs ?? GRAPH_TIMEOUT_MS),
			});
		} catch (error) {
			this.observe({ method: 'POST', url: tokenUrl, status: 0, durationMs: Date.now() - started, kind: 'POST token' });
			throw new GraphAuthError(`Microsoft Entra ID (${tokenUrl}) could not be reached: ${networkFailureMessage(error)}`, 0);
		}
		this.observe({ method: 'POST', url: tokenUrl, status: response.status, durationMs: Date.now() - started, kind: 'POST token' });
		if (response.status >= 300 && response.status < 400) {
			throw new GraphAuthError(`Microsoft Entra ID (${tokenUrl}) answered ${response.status} with a redirect; it is not followed, so that the ${certificate ? 'client assertion' : 'client secret'} is sent nowhere else`, response.status);
		}
		const text = await response.text();
		let body: { access_token?: string; expires_in?: number; error?: string; error_description?: string } = {};
		try {
			body = JSON.parse(text);
		} catch {
			// keep the text for the message
		}
		if (!response.ok || !body.access_token) {
			const description = body.error_description ?? (text.slice(0, 300) || `status ${response.status}`);
			// Microsoft's own text says what is wrong (e.g. AADSTS7000215 invalid client secret).
			const firstLine = description.split(/\r?\n/)[0];
			throw new GraphAuthError(
				redact(`Microsoft Entra ID refused the app "${clientId}" in tenant "${tenantId}": ${body.error ? `${body.error}: ` : ''}${firstLine}`, [secret]),
				response.status,
			);
		}
		return { accessToken: body.access_token, expiresIn: body.expires_in };
	}

	observe(info: GraphRequestInfo): void {
		this.options.onRequest?.(info);
	}

	/** The gates a request holds while in flight: the whole client, plus each addressed mailbox. */
	async admit(url: string, body: unknown): Promise<() => void> {
		const weights = mailboxWeights(url, body, this.perMailbox);
		const releases: Array<() => void> = [];
		// Mailbox gates first (always in sorted order, so two batches cannot wait on each other), then
		// the client-wide gate, so requests queued for a busy mailbox do not block other mailboxes.
		for (const [mailbox, weight] of [...weights.entries()].sort(([a], [b]) => a.localeCompare(b))) {
			releases.push(await this.mailboxGate.for(mailbox).acquire(weight));
		}
		const releaseTotal = await this.totalGate.acquire();
		return () => {
			for (const release of releases.reverse()) release();
			releaseTotal();
		};
	}

	get retryPolicy(): RetryPolicy {
		return this.retry;
	}

	get timeoutMs(): number {
		return this.options.timeoutMs ?? GRAPH_TIMEOUT_MS;
	}

	delay(ms: number): Promise<void> {
		return this.wait(ms);
	}
}

/**
 * Between authentication and the network: adds the IdType preference, holds the concurrency
 * gates while the request is in flight, retries 429/503/504 honouring Retry-After (gates released
 * while waiting), re-authenticates once on an expired token, and resends idempotent requests after
 * a network failure.
 */
class GraphPolicyMiddleware implements Middleware {
	private next?: Middleware;

	constructor(private readonly transport: GraphTransport) {}

	setNext(next: Middleware): void {
		this.next = next;
	}

	async execute(context: Context): Promise<void> {
		const url = typeof context.request === 'string' ? context.request : context.request.url;
		const options = (context.options ??= {});
		const headers = toHeaderRecord(options.headers);
		headers.Prefer = addPreference(headers.Prefer, IMMUTABLE_ID_PREFERENCE);
		if (!this.transport.isGraphUrl(url)) delete headers.Authorization;
		options.headers = headers;
		const method = (options.method ?? 'GET').toUpperCase();
		const idempotentOption = context.middlewareControl?.getMiddlewareOptions(IdempotentRequest) as IdempotentRequest | undefined;
		const idempotent = method !== 'POST' || idempotentOption?.idempotent === true;
		const policy = this.transport.retryPolicy;
		const mailbox = mailboxOf(url);
		const kind = graphRequestKind(method, url);
		const batchSize = kind === 'POST $batch' ? countBatch(options.body) : undefined;
		let reauthenticated = false;

		for (let attempt = 0; ; attempt++) {
			const release = await this.transport.admit(url, options.body);
			const started = Date.now();
			let failure: unknown;
			// No redirect is followed (the token stays with Graph), and no request waits forever.
			options.redirect = 'manual';
			options.signal = AbortSignal.timeout(this.transport.timeoutMs);
			try {
				await this.next!.execute(context);
			} catch (error) {
				failure = error;
			} finally {
				release();
			}
			const status = failure ? 0 : (context.response?.status ?? 0);
			this.transport.observe({ method, url, status, durationMs: Date.now() - started, mailbox, kind, batchSize });
			if (failure) {
				const timedOut = (failure as Error)?.name === 'TimeoutError' || (failure as Error)?.name === 'AbortError';
				if ((isNetworkError(failure) || timedOut) && idempotent && attempt < policy.maxRetries) {
					await this.transport.delay(retryDelay(attempt + 1, policy));
					continue;
				}
				fail(
					new GraphApiError(
						0,
						`Microsoft Graph could not be reached for ${method} ${shortPath(url)}: ${timedOut ? `no answer within ${durationText(this.transport.timeoutMs)}` : networkFailureMessage(failure)}` +
							(idempotent ? '' : ' (the request may or may not have been carried out)'),
						timedOut ? 'Timeout' : 'NetworkError',
						mailbox,
					),
				);
			}
			const response = context.response!;
			if (status >= 300 && status < 400) {
				fail(new GraphApiError(status, `Microsoft Graph answered ${status} to ${method} ${shortPath(url)} with a redirect; it is not followed, so that the token stays with Graph`, 'Redirect', mailbox));
			}
			if (status === 401 && !reauthenticated && headers.Authorization) {
				const previous = headers.Authorization.replace(/^Bearer\s+/i, '');
				this.transport.invalidateToken(previous);
				headers.Authorization = `Bearer ${await this.transport.token()}`;
				reauthenticated = true;
				attempt--;
				continue;
			}
			// A 504 may come after the work was done: only requests that are safe to repeat are resent.
			const retryable = status === 429 || status === 503 || (status === 504 && idempotent);
			if (retryable && attempt < policy.maxRetries) {
				const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
				await this.transport.delay(retryDelay(attempt + 1, policy, retryAfter));
				continue;
			}
			return;
		}
	}
}

function toHeaderRecord(headers: unknown): Record<string, string> {
	const record: Record<string, string> = {};
	if (!headers) return record;
	if (typeof Headers !== 'undefined' && headers instanceof Headers) {
		headers.forEach((value, key) => (record[canonicalHeader(key)] = value));
		return record;
	}
	if (Array.isArray(headers)) {
		for (const [key, value] of headers) record[canonicalHeader(key)] = value;
		return record;
	}
	for (const [key, value] of Object.entries(headers as Record<string, string>)) record[canonicalHeader(key)] = value;
	return record;
}

function canonicalHeader(name: string): string {
	const lower = name.toLowerCase();
	if (lower === 'authorization') return 'Authorization';
	if (lower === 'prefer') return 'Prefer';
	return name;
}

/** Adds a preference to a Prefer header value unless it is already there. */
export function addPreference(current: string | undefined, preference: string): string {
	const parts = (current ?? '').split(',').map((p) => p.trim()).filter(Boolean);
	const name = preference.split('=')[0].toLowerCase();
	if (!parts.some((p) => p.split('=')[0].toLowerCase() === name)) parts.push(preference);
	return parts.join(', ');
}

/** The mailbox a Graph URL addresses (`/users/{id}/…`), lower-cased. */
export function mailboxOf(url: string): string | undefined {
	const match = /\/users\/([^/?#]+)/i.exec(url);
	if (!match) return undefined;
	try {
		return decodeURIComponent(match[1]).replace(/^'|'$/g, '').toLowerCase();
	} catch {
		return match[1].toLowerCase();
	}
}

function mailboxWeights(url: string, body: unknown, limit: number): Map<string, number> {
	const weights = new Map<string, number>();
	const direct = mailboxOf(url);
	if (direct) weights.set(direct, 1);
	if (/\/\$batch(\?|$)/.test(url) && typeof body === 'string') {
		try {
			const parsed = JSON.parse(body) as { requests?: Array<{ url?: string }> };
			for (const request of parsed.requests ?? []) {
				const mailbox = mailboxOf(`/${String(request.url ?? '').replace(/^\//, '')}`);
				if (mailbox) weights.set(mailbox, Math.min(limit, (weights.get(mailbox) ?? 0) + 1));
			}
		} catch {
			// not JSON: no mailbox known
		}
	}
	return weights;
}

function countBatch(body: unknown): number | undefined {
	if (typeof body !== 'string') return undefined;
	try {
		return (JSON.parse(body) as { requests?: unknown[] }).requests?.length;
	} catch {
		return undefined;
	}
}

/** A stable label such as `GET events`, `POST events/cancel`, `GET calendarView/delta` for counting. */
export function graphRequestKind(method: string, url: string): string {
	let path = url;
	try {
		path = new URL(url).pathname;
	} catch {
		path = url.split('?')[0];
	}
	path = path.replace(/^\/?(v1\.0|beta)\//, '/').replace(/^\/v1\.0$/, '/');
	const segments = path.split('/').filter(Boolean);
	if (segments[0] === 'users' && segments.length > 2) segments.splice(0, 2);
	else if (segments[0] === 'users') return `${method} users`;
	// Drop ids: keep words that are resource names.
	const names = segments.filter((s) => /^(\$batch|events|calendar|calendarView|delta|contacts|contactFolders|subscriptions|cancel|accept|decline|tentativelyAccept|instances|users|calendars)$/.test(s));
	const compact = names.filter((s) => s !== 'calendar' && s !== 'calendars');
	if (compact.length === 0) return `${method} ${segments[0] ?? ''}`.trim();
	const meaningful = compact.slice(-2);
	if (meaningful.length === 2 && !['delta', 'cancel', 'accept', 'decline', 'tentativelyAccept', 'instances'].includes(meaningful[1])) {
		return `${method} ${meaningful[1]}`;
	}
	return `${method} ${meaningful.join('/')}`;
}

function durationText(ms: number): string {
	return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function shortPath(url: string): string {
	try {
		const parsed = new URL(url);
		return parsed.pathname.replace(/^\/v1\.0/, '');
	} catch {
		return url;
	}
}

/** Turns an SDK error into a GraphApiError with Microsoft's code and message. */
export function toGraphApiError(error: unknown, method: string, path: string): Error {
	if (error instanceof GraphApiError || error instanceof GraphAuthError) return error;
	if (error instanceof GraphError) {
		const mailbox = mailboxOf(path);
		const retryAfter = parseRetryAfter(error.headers?.get?.('retry-after'));
		const status = error.statusCode;
		const code = error.code ?? undefined;
		const message = error.message || (typeof error.body === 'string' ? error.body.slice(0, 300) : '');
		const hint =
			code === 'ErrorAccessDenied'
				? ' — the app may not access this mailbox (check Exchange RBAC for Applications or the application access policy)'
				: code === 'ErrorInvalidUser'
					? ' — no such mailbox in this tenant'
					: '';
		return new GraphApiError(
			status,
			`Microsoft Graph answered ${status}${code ? ` ${code}` : ''} to ${method} ${shortPath(path)}${mailbox ? ` (mailbox ${mailbox})` : ''}: ${message}${hint}`,
			code,
			mailbox,
			error.requestId ?? undefined,
			retryAfter,
		);
	}
	return error instanceof Error ? error : new Error(String(error));
}

/** Status, code and message of a failed request in a $batch (or of the batch that carried it). */
export function describeBatchFailure(response: BatchResponse | undefined): string {
	if (!response) return 'no answer in the batch';
	const error = (response.body as { error?: { code?: string; message?: string } })?.error;
	return `${response.status} ${error?.code ?? ''} ${error?.message ?? ''}`.replace(/\s+/g, ' ').trim();
}

function chunkBatch(requests: BatchRequest[]): BatchRequest[][] {
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
