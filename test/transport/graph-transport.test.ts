import { GRAPH_CLOUDS, resolveEndpoints } from '../../lib/graph/clouds';
import { MicrosoftGraphAppOnlyApi } from '../../credentials/MicrosoftGraphAppOnlyApi.credentials';
import {
	chunkBatch,
	GraphApiError,
	GraphAuthError,
	GraphTransport,
	graphRequestKind,
	type BatchRequest,
	type GraphRequestInfo,
} from '../../lib/graph/transport';
import { DateTime } from 'luxon';
import { getChanges } from '../../lib/graph/changes';
import { TokenCache } from '../../lib/http/token-cache';
import { SyncUserIndex } from '../../lib/sync/sync-users';
import { startLocalServer, type LocalServer, type RecordedRequest, type Reply } from '../helpers/local-server';

const SECRET = 'graph-client-secret-value';
const TENANT = 'tenant-1';

let tokenCounter = 0;

async function graphServer(handler: (req: RecordedRequest, srv: LocalServer) => Reply | Promise<Reply>): Promise<LocalServer> {
	return startLocalServer(
		(req, srv) => {
			if (req.path === `/${TENANT}/oauth2/v2.0/token`) {
				const form = new URLSearchParams(req.body);
				if (form.get('client_secret') !== SECRET) {
					return {
						status: 401,
						body: {
							error: 'invalid_client',
							error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'app-1'.\r\nTrace ID: x`,
						},
					};
				}
				tokenCounter++;
				return { body: { token_type: 'Bearer', expires_in: 3599, access_token: `graph-token-${tokenCounter}` } };
			}
			return handler(req, srv);
		},
		{ tls: true },
	);
}

function transport(srv: LocalServer, options: { secret?: string; sleeps?: number[]; requests?: GraphRequestInfo[]; cache?: TokenCache } = {}) {
	return new GraphTransport(
		{ tenantId: TENANT, clientId: 'app-1', clientSecret: options.secret ?? SECRET, ...resolveEndpoints('custom', { graphBaseUrl: srv.url, loginUrl: srv.url }) },
		{
			tokenCache: options.cache ?? new TokenCache(),
			retry: { maxRetries: 4, baseDelayMs: 1, maxDelayMs: 10_000 },
			sleep: async (ms) => {
				options.sleeps?.push(ms);
			},
			onRequest: (info) => options.requests?.push(info),
		},
	);
}

const graphCalls = (srv: LocalServer) => srv.requests.filter((r) => r.path.startsWith('/v1.0'));

describe('Graph transport', () => {
	it('gets a client-credentials token for the Graph scope, caches it, and sends it with IdType=ImmutableId', async () => {
		const srv = await graphServer(() => ({ body: { value: [{ id: 'u1' }] } }));
		try {
			const cache = new TokenCache();
			await transport(srv, { cache }).get('/users?$top=1');
			await transport(srv, { cache }).get('/users/a@contoso.com/events');
			const tokens = srv.requests.filter((r) => r.path.endsWith('/token'));
			expect(tokens).toHaveLength(1);
			const form = new URLSearchParams(tokens[0].body);
			expect(form.get('grant_type')).toBe('client_credentials');
			expect(form.get('scope')).toBe(`${srv.url}/.default`);
			for (const call of graphCalls(srv)) {
				expect(call.headers.authorization).toMatch(/^Bearer graph-token-\d+$/);
				expect(call.headers.prefer).toContain('IdType="ImmutableId"');
			}
		} finally {
			await srv.close();
		}
	});

	it("shows Microsoft's error text for a wrong secret, without the secret", async () => {
		const srv = await graphServer(() => ({ body: {} }));
		try {
			const wrong = 'wrong-secret-1234';
			const error = await transport(srv, { secret: wrong }).get('/users').catch((e) => e);
			expect(error).toBeInstanceOf(GraphAuthError);
			expect(error.message).toMatch(/AADSTS7000215: Invalid client secret provided/);
			expect(error.message).not.toContain(wrong);
			expect(error.message).not.toContain(SECRET);
		} finally {
			await srv.close();
		}
	});

	it('follows absolute nextLinks on its own host, and stops at a link to another host without calling it', async () => {
		const other = await startLocalServer(() => ({ body: { value: [{ id: 'x' }] } }), { tls: true });
		const srv = await graphServer((req) => {
			if (req.query.get('$skiptoken') === '2') return { body: { value: [{ id: 'e3' }], '@odata.nextLink': `${other.url.replace('127.0.0.1', 'localhost')}/v1.0/users/a/events?$skiptoken=3` } };
			if (req.query.get('$skiptoken') === '1') return { body: { value: [{ id: 'e2' }], '@odata.nextLink': `${srv.url}/v1.0/users/a/events?$skiptoken=2` } };
			return { body: { value: [{ id: 'e1' }], '@odata.nextLink': `${srv.url}/v1.0/users/a/events?$skiptoken=1` } };
		});
		try {
			const error = await transport(srv).getAll<{ id: string }>('/users/a/events').catch((e: unknown) => e);
			expect(error).toBeInstanceOf(GraphApiError);
			expect((error as Error).message).toBe('Microsoft Graph returned a next link to another host; it is not followed (/users/a/events)');
			expect(graphCalls(srv)).toHaveLength(3);
			expect(other.requests).toHaveLength(0);
		} finally {
			await srv.close();
			await other.close();
		}
	});

	it('stops paging at a repeated next link and at the page and item limits, naming the limit', async () => {
		const srv = await graphServer((req) => {
			const page = Number(req.query.get('$skiptoken') ?? 0);
			if (req.path.endsWith('/loop')) return { body: { value: [{ id: `l${page}` }], '@odata.nextLink': `${srv.url}/v1.0/users/a/loop?$skiptoken=1` } };
			// An endless collection: every page points at the next one.
			return { body: { value: [{ id: `p${page}a` }, { id: `p${page}b` }], '@odata.nextLink': `${srv.url}/v1.0/users/a/endless?$skiptoken=${page + 1}` } };
		});
		try {
			const loop = await transport(srv).getAll('/users/a/loop').catch((e: unknown) => e);
			expect((loop as Error).message).toBe('Microsoft Graph returned the same next link twice (/users/a/loop); paging stopped');
			expect(graphCalls(srv)).toHaveLength(2);

			const limited = (options: { maxPages?: number; maxItems?: number }) =>
				new GraphTransport(
					{ tenantId: TENANT, clientId: 'app-1', clientSecret: SECRET, ...resolveEndpoints('custom', { graphBaseUrl: srv.url, loginUrl: srv.url }) },
					{ tokenCache: new TokenCache(), retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 }, ...options },
				);
			srv.requests.length = 0;
			const pages = await limited({ maxPages: 30 }).getAll('/users/a/endless').catch((e: unknown) => e);
			expect((pages as Error).message).toBe('Microsoft Graph paging stopped at the limit of 30 pages (/users/a/endless); the read is incomplete');
			expect(graphCalls(srv)).toHaveLength(30);

			srv.requests.length = 0;
			const items = await limited({ maxItems: 7 }).getAll('/users/a/endless').catch((e: unknown) => e);
			expect((items as Error).message).toBe('Microsoft Graph paging stopped at the limit of 7 items (/users/a/endless); the read is incomplete');
			expect(graphCalls(srv)).toHaveLength(4);
		} finally {
			await srv.close();
		}
	});

	it('stops a calendar delta round that repeats its next link', async () => {
		const srv = await graphServer((req) => ({
			body: { value: [{ id: `e${req.query.get('$skiptoken') ?? 0}` }], '@odata.nextLink': `${srv.url}/v1.0/users/a@contoso.com/calendarView/delta?$skiptoken=1` },
		}));
		try {
			const error = await getChanges(transport(srv), {
				mailbox: 'a@contoso.com',
				company: '100',
				syncUsers: new SyncUserIndex([]),
				now: DateTime.utc(),
				horizonDays: 30,
				allowPrivate: false,
				occurrenceCap: 10,
				linkKey: Buffer.alloc(32),
			}).catch((e: unknown) => e);
			expect((error as Error).message).toMatch(/^Microsoft Graph returned the same next link twice \(\/users\/a%40contoso\.com\/calendarView\/delta\?startDateTime=.*\); paging stopped$/);
			expect(graphCalls(srv)).toHaveLength(2);
		} finally {
			await srv.close();
		}
	});

	it('follows no redirect, so neither the token nor the client secret leaves for another host', async () => {
		const other = await startLocalServer(() => ({ body: { value: [], access_token: 'stolen' } }), { tls: true });
		const srv = await graphServer((req) => {
			if (req.path.includes('/redirected')) return { status: 307, headers: { location: `${other.url}/v1.0/users/a/events` } };
			return { body: { value: [] } };
		});
		try {
			const error = await transport(srv).get('/users/a/redirected').catch((e: unknown) => e);
			expect(error).toBeInstanceOf(GraphApiError);
			expect((error as Error).message).toMatch(/^Microsoft Graph answered 307 to GET \/users\/a\/redirected with a redirect; it is not followed/);
			expect(other.requests).toHaveLength(0);
		} finally {
			await srv.close();
		}
		const login = await startLocalServer((req) => ({ status: 302, headers: { location: `${other.url}${req.path}` } }), { tls: true });
		try {
			const sign = new GraphTransport(
				{ tenantId: TENANT, clientId: 'app-1', clientSecret: SECRET, ...resolveEndpoints('custom', { graphBaseUrl: login.url, loginUrl: login.url }) },
				{ tokenCache: new TokenCache() },
			);
			const error = await sign.get('/users/a/events').catch((e: unknown) => e);
			expect(error).toBeInstanceOf(GraphAuthError);
			expect((error as Error).message).toMatch(/answered 302 with a redirect; it is not followed, so that the client secret is sent nowhere else/);
			expect(other.requests).toHaveLength(0);
		} finally {
			await login.close();
			await other.close();
		}
	});

	it('gives up a request that gets no answer, resends it when it is a read, and says so', async () => {
		let calls = 0;
		const srv = await graphServer(() => {
			calls++;
			return calls === 1 ? { delayMs: 1_000, body: { id: 'late' } } : { body: { id: 'ok' } };
		});
		try {
			const quick = new GraphTransport(
				{ tenantId: TENANT, clientId: 'app-1', clientSecret: SECRET, ...resolveEndpoints('custom', { graphBaseUrl: srv.url, loginUrl: srv.url }) },
				{ tokenCache: new TokenCache(), retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 1 }, sleep: async () => undefined, timeoutMs: 200 },
			);
			await expect(quick.get<{ id: string }>('/users/a/events/1')).resolves.toEqual({ id: 'ok' });
			calls = 0;
			const error = await quick.post('/users/a/events', { subject: 'x' }).catch((e: unknown) => e);
			expect((error as Error).message).toBe(
				'Microsoft Graph could not be reached for POST /users/a/events: no answer within 200 ms (the request may or may not have been carried out)',
			);
			expect(calls).toBe(1);
		} finally {
			await srv.close();
		}
	});

	it('honours Retry-After on 429 and retries 503/504', async () => {
		let n = 0;
		const srv = await graphServer(() => {
			n++;
			if (n === 1) return { status: 429, headers: { 'retry-after': '3' }, body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } } };
			if (n === 2) return { status: 503, body: { error: { code: 'ServiceUnavailable', message: 'try later' } } };
			if (n === 3) return { status: 504, body: { error: { code: 'GatewayTimeout', message: 'timeout' } } };
			return { body: { id: 'ok' } };
		});
		try {
			const sleeps: number[] = [];
			const requests: GraphRequestInfo[] = [];
			const result = await transport(srv, { sleeps, requests }).get<{ id: string }>('/users/a@contoso.com/events/1');
			expect(result.id).toBe('ok');
			expect(sleeps[0]).toBe(3000);
			expect(sleeps).toHaveLength(3);
			expect(requests.filter((r) => r.kind !== 'POST token').map((r) => r.status)).toEqual([429, 503, 504, 200]);
			expect(requests[1].mailbox).toBe('a@contoso.com');
		} finally {
			await srv.close();
		}
	});

	it('keeps at most 4 requests in flight per mailbox, while other mailboxes proceed', async () => {
		const perMailbox = new Map<string, { now: number; max: number }>();
		const srv = await graphServer(async (req) => {
			const mailbox = req.path.split('/')[3];
			const entry = perMailbox.get(mailbox) ?? { now: 0, max: 0 };
			perMailbox.set(mailbox, entry);
			entry.now++;
			entry.max = Math.max(entry.max, entry.now);
			await new Promise((r) => setTimeout(r, 40));
			entry.now--;
			return { body: { id: req.path } };
		});
		try {
			const graph = transport(srv);
			await Promise.all([
				...Array.from({ length: 12 }, (_, i) => graph.get(`/users/a@contoso.com/events/${i}`)),
				...Array.from({ length: 12 }, (_, i) => graph.get(`/users/B@contoso.com/events/${i}`)),
			]);
			expect(perMailbox.get('a@contoso.com')!.max).toBe(4);
			expect(perMailbox.get('B@contoso.com')!.max).toBe(4);
			expect(srv.maxInFlight).toBeGreaterThan(4);
		} finally {
			await srv.close();
		}
	});

	it("holds a $batch's mailboxes by its inner requests (up to the limit), whether the transport built it or not", async () => {
		const events: string[] = [];
		const srv = await graphServer(async (req) => {
			const what = req.path.endsWith('$batch') ? 'batch' : req.path.split('/')[3];
			events.push(`start ${what}`);
			await new Promise((r) => setTimeout(r, what === 'batch' ? 200 : 10));
			events.push(`end ${what}`);
			const body = req.json as { requests?: Array<{ id: string }> } | undefined;
			return { body: body?.requests ? { responses: body.requests.map((r) => ({ id: r.id, status: 200, body: {} })) } : { id: req.path } };
		});
		try {
			const graph = transport(srv);
			const inner = Array.from({ length: 6 }, (_, i) => ({ id: String(i), method: 'GET' as const, url: `/users/a@contoso.com/events/${i}` }));
			for (const send of [() => graph.batch(inner), () => graph.post('/$batch', { requests: inner })]) {
				events.length = 0;
				let settled = false;
				const batch = send().finally(() => (settled = true));
				// Once the server sees the batch, the transport holds its slots (a fixed sleep raced a busy CI machine).
				while (!events.includes('start batch') && !settled) await new Promise((r) => setTimeout(r, 2));
				// The batch holds all 4 slots of a@: a request to a@ waits for it, one to b@ does not.
				await Promise.all([batch, graph.get('/users/a@contoso.com/events/x'), graph.get('/users/b@contoso.com/events/y')]);
				expect(events.indexOf('start a@contoso.com')).toBeGreaterThan(events.indexOf('end batch'));
				expect(events.indexOf('end b@contoso.com')).toBeLessThan(events.indexOf('end batch'));
			}
		} finally {
			await srv.close();
		}
	});

	it('splits a $batch of 45 into 20 + 20 + 5 and retries inner 429s after their Retry-After', async () => {
		const throttledOnce = new Set<string>();
		const srv = await graphServer((req) => {
			const body = req.json as { requests: Array<{ id: string; url: string }> };
			if (body.requests.length > 20) return { status: 400, body: { error: { code: 'BadRequest', message: 'too many' } } };
			return {
				body: {
					responses: body.requests.map((r) => {
						if (r.id === '7' && !throttledOnce.has(r.id)) {
							throttledOnce.add(r.id);
							return { id: r.id, status: 429, headers: { 'Retry-After': '5' }, body: { error: { code: 'ApplicationThrottled' } } };
						}
						return { id: r.id, status: 201, headers: {}, body: { id: `created-${r.id}` } };
					}),
				},
			};
		});
		try {
			const sleeps: number[] = [];
			const requests: BatchRequest[] = Array.from({ length: 45 }, (_, i) => ({
				id: String(i),
				method: 'POST',
				url: `/users/a@contoso.com/contactFolders/f/contacts`,
				body: { givenName: `n${i}` },
			}));
			const responses = await transport(srv, { sleeps }).batch(requests);
			expect(responses.size).toBe(45);
			expect([...responses.values()].every((r) => r.status === 201)).toBe(true);
			const sizes = graphCalls(srv).map((r) => (r.json as { requests: unknown[] }).requests.length);
			expect(sizes).toEqual([20, 1, 20, 5]);
			expect(sleeps).toEqual([5000]);
			const first = (graphCalls(srv)[0].json as { requests: Array<{ headers: Record<string, string> }> }).requests[0];
			expect(first.headers['Content-Type']).toBe('application/json');
			// Inner requests get none of the batch's headers: each asks for immutable ids itself, reads too.
			expect(first.headers.Prefer).toBe('IdType="ImmutableId"');
			await transport(srv).batch([{ id: 'r', method: 'GET', url: '/users/a@contoso.com/events', headers: { Prefer: 'outlook.body-content-type="text"' } }]);
			const read = (graphCalls(srv).at(-1)!.json as { requests: Array<{ headers: Record<string, string> }> }).requests[0];
			expect(read.headers).toEqual({ Prefer: 'outlook.body-content-type="text", IdType="ImmutableId"' });
		} finally {
			await srv.close();
		}
	});

	it('keeps requests chained by dependsOn in one batch', () => {
		const requests: BatchRequest[] = Array.from({ length: 25 }, (_, i) => ({
			id: String(i),
			method: 'PATCH',
			url: `/users/a/events/${i}`,
			dependsOn: i === 19 ? ['18'] : i === 20 ? ['19'] : undefined,
		}));
		const chunks = chunkBatch(requests);
		expect(chunks.map((c) => c.length)).toEqual([18, 7]);
		expect(chunks[1].map((r) => r.id).slice(0, 3)).toEqual(['18', '19', '20']);
	});

	it('reports an unknown outcome instead of resending non-idempotent batch writes after a lost response', async () => {
		const srv = await graphServer(() => ({ reset: true }));
		try {
			const responses = await transport(srv).batch([{ id: '1', method: 'POST', url: '/users/a/contacts', body: { givenName: 'x' } }]);
			expect(responses.get('1')).toMatchObject({ status: 0, unknownOutcome: true });
			// fetch says only "fetch failed"; the cause is what tells an administrator what happened.
			expect((responses.get('1')!.body as { error: { message: string } }).error.message).toMatch(/fetch failed \((UND_ERR_SOCKET|ECONNRESET)[^)]*\).*may or may not have been carried out/);
			expect(graphCalls(srv)).toHaveLength(1);
		} finally {
			await srv.close();
		}
	});

	it('resends an idempotent create (transactionId) after a connection reset', async () => {
		let n = 0;
		const srv = await graphServer(() => (++n === 1 ? { reset: true } : { status: 201, body: { id: 'ev1' } }));
		try {
			const event = await transport(srv).post<{ id: string }>('/users/a/events', { subject: 's', transactionId: 't1' }, { idempotent: true });
			expect(event.id).toBe('ev1');
			expect(graphCalls(srv)).toHaveLength(2);
		} finally {
			await srv.close();
		}
	});

	it('turns Graph errors into readable errors naming the mailbox', async () => {
		const srv = await graphServer(() => ({ status: 403, body: { error: { code: 'ErrorAccessDenied', message: 'Access to OData is disabled.' } } }));
		try {
			const error = await transport(srv).get('/users/blocked@contoso.com/events').catch((e) => e);
			expect(error).toBeInstanceOf(GraphApiError);
			expect(error.isMailboxAccessError).toBe(true);
			expect(error.message).toMatch(/403 ErrorAccessDenied.*blocked@contoso.com.*Access to OData is disabled/);
		} finally {
			await srv.close();
		}
	});

	it('gets a new token when Graph says the token expired', async () => {
		let n = 0;
		const srv = await graphServer(() => (++n === 1 ? { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.' } } } : { body: { ok: true } }));
		try {
			await transport(srv).get('/users/a/events');
			const calls = graphCalls(srv);
			expect(calls).toHaveLength(2);
			expect(calls[0].headers.authorization).not.toBe(calls[1].headers.authorization);
		} finally {
			await srv.close();
		}
	});

	it('sends requests refused inside a $batch with 401 once more, with a fresh token', async () => {
		const refusedTokens = new Set(['graph-token-1']);
		const srv = await graphServer((req) => {
			const body = req.json as { requests: Array<{ id: string }> };
			const stale = refusedTokens.has((req.headers.authorization ?? '').replace('Bearer ', ''));
			return {
				body: {
					responses: body.requests.map((r, i) =>
						stale && i > 0
							? { id: r.id, status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.' } } }
							: { id: r.id, status: 201, body: { id: `created-${r.id}` } },
					),
				},
			};
		});
		try {
			tokenCounter = 0;
			const requests: BatchRequest[] = ['a', 'b', 'c'].map((id) => ({ id, method: 'POST', url: '/users/a/contacts', body: { givenName: id } }));
			const responses = await transport(srv).batch(requests);
			expect([...responses.values()].map((r) => r.status)).toEqual([201, 201, 201]);
			const calls = graphCalls(srv);
			expect(calls.map((c) => (c.json as { requests: Array<{ id: string }> }).requests.map((r) => r.id))).toEqual([['a', 'b', 'c'], ['b', 'c']]);
			expect(calls[1].headers.authorization).toBe('Bearer graph-token-2');
		} finally {
			await srv.close();
		}
	});

	it('labels requests by kind', () => {
		expect(graphRequestKind('GET', 'https://h/v1.0/users/a%40b.c/calendarView/delta?x=1')).toBe('GET calendarView/delta');
		expect(graphRequestKind('POST', 'https://h/v1.0/users/a/events/AAk=/cancel')).toBe('POST events/cancel');
		expect(graphRequestKind('GET', 'https://h/v1.0/users/a/contactFolders/f1/contacts')).toBe('GET contacts');
		expect(graphRequestKind('POST', 'https://h/v1.0/$batch')).toBe('POST $batch');
		expect(graphRequestKind('PATCH', 'https://h/v1.0/subscriptions/s1')).toBe('PATCH subscriptions');
	});

	it('refuses a custom cloud that is not https', () => {
		expect(() => resolveEndpoints('custom', { graphBaseUrl: 'http://127.0.0.1:1', loginUrl: 'https://x' })).toThrow(/https/);
		expect(resolveEndpoints('custom', { graphBaseUrl: 'https://proxy.example/v1.0/', loginUrl: 'https://login.example' }).graphBaseUrl).toBe('https://proxy.example');
		expect(resolveEndpoints('usGov').graphBaseUrl).toBe('https://graph.microsoft.us');
	});

	it('offers in the credential every cloud of the one table, then Custom, and each resolves', () => {
		const offered = new MicrosoftGraphAppOnlyApi().properties.find((p) => p.name === 'cloud')!.options as Array<{ name: string; value: string }>;
		expect(offered.map((o) => o.value)).toEqual([...Object.keys(GRAPH_CLOUDS), 'custom']);
		for (const { value } of offered.filter((o) => o.value !== 'custom')) expect(resolveEndpoints(value as keyof typeof GRAPH_CLOUDS)).toEqual({ graphBaseUrl: GRAPH_CLOUDS[value as keyof typeof GRAPH_CLOUDS].graphBaseUrl, loginUrl: GRAPH_CLOUDS[value as keyof typeof GRAPH_CLOUDS].loginUrl });
	});
});
