import { IonApiFileError, parseIonApiText, toIonApiConfig, type IonApiConfig } from '../../lib/ln/ionapi';
import { LnApiError, LnAuthError, LnTransport, type LnRequestInfo } from '../../lib/ln/transport';
import { Semaphore } from '../../lib/http/semaphore';
import { TokenCache } from '../../lib/http/token-cache';
import { startLocalServer, type LocalServer, type RecordedRequest, type Reply } from '../helpers/local-server';
import { n8nHttpRequest } from '../helpers/n8n-http';

const TENANT = 'ACME_TST';
const SECRET = 'client-secret-value-42';
const SASK = 'service-account-secret-99';

function ionConfig(server: LocalServer, serviceAccount = true): IonApiConfig {
	return toIonApiConfig({
		ti: TENANT,
		ci: 'ACME_TST~sync',
		cs: SECRET,
		iu: server.url,
		pu: `${server.url}/${TENANT}/as/`,
		ot: 'token.oauth2',
		...(serviceAccount ? { saak: 'ACME_TST#svc-access', sask: SASK } : {}),
	}, { allowLoopbackHttp: true });
}

interface Routes {
	token?: (req: RecordedRequest) => Reply;
	odata: (req: RecordedRequest) => Reply;
}

let tokenCounter = 0;
function tokenReply(expiresIn = 3600): Reply {
	tokenCounter++;
	return { body: { access_token: `tok-${tokenCounter}`, token_type: 'Bearer', expires_in: expiresIn } };
}

async function server(routes: Routes): Promise<LocalServer> {
	return startLocalServer((req) => (req.path.endsWith('/token.oauth2') ? (routes.token ?? (() => tokenReply()))(req) : routes.odata(req)));
}

function transport(srv: LocalServer, extra: { cache?: TokenCache; serviceAccount?: boolean; sleeps?: number[]; requests?: LnRequestInfo[]; gate?: Semaphore } = {}) {
	return new LnTransport({ ion: ionConfig(srv, extra.serviceAccount ?? true), company: '100', language: 'en-US' }, n8nHttpRequest, {
		tokenCache: extra.cache ?? new TokenCache(),
		retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 10_000 },
		sleep: async (ms) => {
			extra.sleeps?.push(ms);
		},
		onRequest: (info) => extra.requests?.push(info),
		gate: extra.gate,
	});
}

const odataRequests = (srv: LocalServer) => srv.requests.filter((r) => !r.path.endsWith('/token.oauth2'));
const tokenRequests = (srv: LocalServer) => srv.requests.filter((r) => r.path.endsWith('/token.oauth2'));

describe('.ionapi parsing', () => {
	it('names the missing key and never echoes a value', () => {
		const full = { ti: 'T', ci: 'c', cs: 'topsecret', iu: 'https://ion.example', pu: 'https://sso.example/T/as/', ot: 'token.oauth2' };
		for (const key of ['ti', 'ci', 'cs', 'iu', 'pu', 'ot'] as const) {
			const partial: Record<string, string> = { ...full };
			delete partial[key];
			expect(() => toIonApiConfig(partial)).toThrow(new RegExp(`missing the key "${key}"`));
		}
		expect(() => toIonApiConfig({ ...full, saak: 'only-access' })).toThrow(/missing the key "sask"/);
		try {
			toIonApiConfig({ ...full, iu: 'not a url' });
		} catch (error) {
			expect((error as Error).message).toMatch(/"iu"/);
			expect((error as Error).message).not.toContain('topsecret');
		}
	});

	it('refuses text that is not a JSON object', () => {
		expect(() => parseIonApiText('')).toThrow(IonApiFileError);
		expect(() => parseIonApiText('{"ti": "T", ')).toThrow(/not valid JSON/);
		expect(() => parseIonApiText('[1,2]')).toThrow(/JSON object/);
	});

	it('joins pu and ot into the token URL', () => {
		const config = toIonApiConfig({ ti: 'T', ci: 'c', cs: 's', iu: 'https://ion.example/', pu: 'https://sso.example/T/as/', ot: 'token.oauth2' });
		expect(config.tokenUrl).toBe('https://sso.example/T/as/token.oauth2');
		expect(config.gatewayUrl).toBe('https://ion.example');
		expect(config.serviceAccountAccessKey).toBeUndefined();
	});
});

describe('LN transport', () => {
	it('uses the password grant with the service-account keys and Basic client auth, and caches the token across transports', async () => {
		const srv = await server({ odata: () => ({ body: { value: [{ Contact: 'C1' }] } }) });
		try {
			const cache = new TokenCache();
			await transport(srv, { cache }).getPage(`${srv.url}/${TENANT}/LN/lnapi/odata/tcapi.comContact/Contacts`);
			await transport(srv, { cache }).getPage(`${srv.url}/${TENANT}/LN/lnapi/odata/tcapi.comContact/Contacts`);
			const tokens = tokenRequests(srv);
			expect(tokens).toHaveLength(1);
			const form = new URLSearchParams(tokens[0].body);
			expect(form.get('grant_type')).toBe('password');
			expect(form.get('username')).toBe('ACME_TST#svc-access');
			expect(form.get('password')).toBe(SASK);
			expect(tokens[0].headers.authorization).toBe(`Basic ${Buffer.from(`ACME_TST~sync:${SECRET}`).toString('base64')}`);
			const calls = odataRequests(srv);
			expect(calls).toHaveLength(2);
			for (const call of calls) {
				expect(call.headers.authorization).toMatch(/^Bearer tok-/);
				expect(call.headers['x-infor-lncompany']).toBe('100');
				expect(call.headers['content-language']).toBe('en-US');
			}
		} finally {
			await srv.close();
		}
	});

	it('uses the client-credentials grant when the file has no service-account keys, and renews an expiring token', async () => {
		let now = Date.parse('2026-11-23T10:00:00Z');
		const srv = await server({ token: () => tokenReply(600), odata: () => ({ body: { value: [] } }) });
		try {
			const cache = new TokenCache({ renewBeforeMs: 60_000, now: () => now });
			const ln = transport(srv, { cache, serviceAccount: false });
			const url = `${srv.url}/${TENANT}/LN/lnapi/odata/tcapi.comContact/Contacts`;
			await ln.getPage(url);
			now += 500_000; // 100 s left: still valid beyond the renewal margin
			await ln.getPage(url);
			expect(tokenRequests(srv)).toHaveLength(1);
			now += 60_000; // within the renewal margin
			await ln.getPage(url);
			const tokens = tokenRequests(srv);
			expect(tokens).toHaveLength(2);
			expect(new URLSearchParams(tokens[0].body).get('grant_type')).toBe('client_credentials');
			expect(odataRequests(srv)[2].headers.authorization).not.toBe(odataRequests(srv)[0].headers.authorization);
		} finally {
			await srv.close();
		}
	});

	it('shows the token endpoint refusal without any secret', async () => {
		const srv = await server({
			token: () => ({ status: 401, body: { error: 'invalid_client', error_description: `Client authentication failed for secret ${SECRET}` } }),
			odata: () => ({ body: { value: [] } }),
		});
		try {
			const error = await transport(srv).getPage(`${srv.url}/x`).catch((e) => e);
			expect(error).toBeInstanceOf(LnAuthError);
			expect(error.message).toMatch(/invalid_client/);
			expect(error.message).toMatch(/ACME_TST~sync/);
			expect(error.message).not.toContain(SECRET);
			expect(error.message).not.toContain(SASK);
		} finally {
			await srv.close();
		}
	});

	it('follows @odata.nextLink over three pages', async () => {
		const srv = await server({
			odata: (req) => {
				const skip = Number(req.query.get('$skiptoken') ?? 0);
				const value = [0, 1].map((i) => ({ Contact: `C${skip + i}` }));
				const next = skip < 4 ? `${srv.url}${req.path}?$filter=${encodeURIComponent("Synchronize eq 'Yes'")}&$skiptoken=${skip + 2}` : undefined;
				return { body: { value, ...(next ? { '@odata.nextLink': next } : {}) } };
			},
		});
		try {
			const ln = transport(srv);
			const all = await ln.getAll<{ Contact: string }>(ln.url('tcapi.comContact', 'Contacts', { $filter: "Synchronize eq 'Yes'" }));
			expect(all.map((c) => c.Contact)).toEqual(['C0', 'C1', 'C2', 'C3', 'C4', 'C5']);
			const pages = odataRequests(srv);
			expect(pages).toHaveLength(3);
			expect(pages[0].query.get('$filter')).toBe("Synchronize eq 'Yes'");
			expect(pages[0].url).toContain('%20eq%20');
		} finally {
			await srv.close();
		}
	});

	it('does not follow a next link to another host, so neither the token nor the company leaves the gateway', async () => {
		const other = await startLocalServer(() => ({ body: { value: [{ Contact: 'X' }] } }));
		const srv = await server({
			odata: () => ({ body: { value: [{ Contact: 'C0' }], '@odata.nextLink': `${other.url}/ACME_TST/LN/lnapi/odata/tcapi.comContact/Contacts?$skiptoken=2` } }),
		});
		try {
			const ln = transport(srv);
			const error = await ln.getAll(ln.url('tcapi.comContact', 'Contacts')).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(LnApiError);
			expect((error as Error).message).toBe(
				`LN returned a next page link to another host (${other.url}); it is not followed, so that the token stays with the ION API gateway`,
			);
			expect(other.requests).toHaveLength(0);
		} finally {
			await srv.close();
			await other.close();
		}
	});

	it('stops a server that pages forever: a repeated link, the page limit, the item limit', async () => {
		const srv = await server({
			odata: (req) => {
				const page = Number(req.query.get('$skiptoken') ?? 0);
				const next = req.path.endsWith('/Loop') ? 1 : page + 1;
				return { body: { value: [0, 1, 2].map((i) => ({ Contact: `C${page}-${i}` })), '@odata.nextLink': `${srv.url}${req.path}?$skiptoken=${next}` } };
			},
		});
		const limited = (limits: { maxPages?: number; maxItems?: number }) =>
			new LnTransport({ ion: ionConfig(srv), company: '100', language: 'en-US' }, n8nHttpRequest, { tokenCache: new TokenCache(), ...limits });
		try {
			const loop = await transport(srv).getAll(transport(srv).url('tcapi.comContact', 'Loop')).catch((e: unknown) => e);
			expect((loop as Error).message).toBe('LN returned the same next page link twice (tcapi.comContact/Loop?$skiptoken=1); paging stopped');
			srv.requests.length = 0;
			const pages = await limited({ maxPages: 3000 }).getAll(transport(srv).url('tcapi.comContact', 'Contacts')).catch((e: unknown) => e);
			expect((pages as Error).message).toBe('LN paging stopped at the limit of 3000 pages (tcapi.comContact/Contacts); the read is incomplete');
			expect(odataRequests(srv)).toHaveLength(3000);
			srv.requests.length = 0;
			const items = await limited({ maxItems: 10 }).getAll(transport(srv).url('tcapi.comContact', 'Contacts')).catch((e: unknown) => e);
			expect((items as Error).message).toBe('LN paging stopped at the limit of 10 items (tcapi.comContact/Contacts); the read is incomplete');
			expect(odataRequests(srv)).toHaveLength(4);
		} finally {
			await srv.close();
		}
	}, 60_000);

	it('follows no redirect: not on reads, not on the token request (the keys are posted nowhere else)', async () => {
		const other = await startLocalServer(() => ({ body: { access_token: 'stolen', value: [] } }));
		const srv = await server({ odata: () => ({ status: 302, headers: { location: `${other.url}/elsewhere` } }) });
		const tokenMoved = await server({
			token: () => ({ status: 307, headers: { location: `${other.url}/token.oauth2` } }),
			odata: () => ({ body: { value: [] } }),
		});
		try {
			const ln = transport(srv);
			const read = await ln.getAll(ln.url('tcapi.comContact', 'Contacts')).catch((e: unknown) => e);
			expect(read).toBeInstanceOf(LnApiError);
			expect((read as Error).message).toBe(
				`LN answered 302 to GET tcapi.comContact/Contacts with a redirect to ${other.url}; redirects are not followed, so that the token stays with the ION API gateway`,
			);
			const moved = transport(tokenMoved);
			const token = await moved.getAll(moved.url('tcapi.comContact', 'Contacts')).catch((e: unknown) => e);
			expect(token).toBeInstanceOf(LnAuthError);
			expect((token as Error).message).toMatch(/answered 307 with a redirect; it is not followed, so that the keys are sent nowhere else$/);
			expect(other.requests).toHaveLength(0);
		} finally {
			await srv.close();
			await tokenMoved.close();
			await other.close();
		}
	});

	it('re-reads and retries once on 412, then surfaces the second 412 with LN\'s message', async () => {
		let etag = 1;
		const srv = await server({
			odata: (req) => {
				if (req.method === 'GET') return { headers: { etag: `W/"v${etag}"` }, body: { Activity: 'A1', Sequence: 1, '@odata.etag': `W/"v${etag}"` } };
				etag++; // someone else keeps changing the record
				return {
					status: 412,
					body: {
						Code: 'ERROR:ttstps0110',
						Message: 'Record modified by other user',
						Details: [{ Code: 'ERROR:', Message: 'Server etag differs from client etag' }],
						InnerError: { StatusCode: 412, RequestId: 'r-1' },
					},
				};
			},
		});
		try {
			const url = `${srv.url}/${TENANT}/LN/lnapi/odata/txcom.exchangeSync/Attendees(Activity='A1',Sequence=1)`;
			const error = await transport(srv).update(url, { Synchronized: 'Yes' }, 'W/"v1"').catch((e) => e);
			expect(error).toBeInstanceOf(LnApiError);
			expect(error.status).toBe(412);
			expect(error.message).toMatch(/Record modified by other user/);
			expect(error.message).toMatch(/Attendees\(Activity='A1',Sequence=1\)/);
			const calls = odataRequests(srv).map((r) => `${r.method} ${r.headers['if-match'] ?? ''}`);
			expect(calls).toEqual(['PATCH W/"v1"', 'GET ', 'PATCH W/"v2"']);
		} finally {
			await srv.close();
		}
	});

	it('succeeds when the retry after a 412 carries the fresh ETag', async () => {
		let current = 'W/"v2"';
		const srv = await server({
			odata: (req) => {
				if (req.method === 'GET') return { body: { '@odata.etag': current } };
				if (req.headers['if-match'] !== current) return { status: 412, body: { Code: 'ERROR', Message: 'stale' } };
				current = 'W/"v3"';
				return { status: 204, headers: { etag: current } };
			},
		});
		try {
			const result = await transport(srv).update(`${srv.url}/x/Attendees(Activity='A',Sequence=1)`, { Synchronized: 'Yes' }, 'W/"v1"');
			expect(result.etag).toBe('W/"v3"');
		} finally {
			await srv.close();
		}
	});

	it('writes nothing after a 412 when the record already holds the values (another writer decided alike)', async () => {
		const srv = await server({
			odata: (req) => {
				if (req.method === 'GET') return { body: { Activity: 'A', Sequence: 1, Synchronized: 'Yes', '@odata.etag': 'W/"v2"' } };
				return { status: 412, body: { Code: 'ERROR', Message: 'stale' } };
			},
		});
		try {
			const result = await transport(srv).update(`${srv.url}/x/Attendees(Activity='A',Sequence=1)`, { Synchronized: 'Yes' }, 'W/"v1"');
			expect(result.etag).toBe('W/"v2"');
			expect(odataRequests(srv).map((r) => r.method)).toEqual(['PATCH', 'GET']);
		} finally {
			await srv.close();
		}
	});

	it('keeps at most the gate\'s number of requests in flight, whatever asks', async () => {
		const srv = await server({ odata: () => ({ body: { value: [] }, delayMs: 20 }) });
		try {
			const gate = new Semaphore(3);
			const transports = [transport(srv, { gate }), transport(srv, { gate })];
			await Promise.all(Array.from({ length: 12 }, (_, i) => transports[i % 2].getAll(transports[0].url('tcapi.comContact', 'Contacts'))));
			expect(srv.maxInFlight).toBe(3);
		} finally {
			await srv.close();
		}
	});

	it('turns a 428 into a clear error and a 422 into LN\'s functional message', async () => {
		const srv = await server({
			odata: (req) =>
				req.method === 'PATCH'
					? { status: 428, body: { Code: 'ERROR', Message: 'If-Match header is required' } }
					: req.method === 'POST'
						? { status: 422, body: { Code: 'ERROR:tccom6100', Message: 'End date must be after start date', Details: [{ Message: 'Field EndDate' }] } }
						: { body: {} },
		});
		try {
			const ln = transport(srv);
			const missing = await ln.update(`${srv.url}/x/Activities('A1')`, { Subject: 'x' }, 'W/"1"').catch((e) => e);
			expect(missing.status).toBe(428);
			expect(missing.message).toMatch(/requires an ETag \(If-Match\)/);
			const rejected = await ln.create(`${srv.url}/x/Activities`, { Subject: 'x' }).catch((e) => e);
			expect(rejected.status).toBe(422);
			expect(rejected.message).toBe("LN answered 422 Unprocessable Entity to POST " + `${srv.url}/x/Activities` + ': End date must be after start date — Field EndDate');
			expect(rejected.isPermanent).toBe(true);
		} finally {
			await srv.close();
		}
	});

	it('honours Retry-After on 429 and backs off on 5xx for reads', async () => {
		let calls = 0;
		const srv = await server({
			odata: () => {
				calls++;
				if (calls === 1) return { status: 429, headers: { 'retry-after': '2' }, body: { Message: 'slow down' } };
				if (calls === 2) return { status: 503, body: 'unavailable' };
				return { body: { value: [{ Contact: 'C1' }] } };
			},
		});
		try {
			const sleeps: number[] = [];
			const page = await transport(srv, { sleeps }).getPage(`${srv.url}/x/Contacts`);
			expect(page.value).toHaveLength(1);
			expect(sleeps[0]).toBe(2000);
			expect(sleeps).toHaveLength(2);
		} finally {
			await srv.close();
		}
	});

	it('does not resend a create after a 502 (the record may exist), but does after a 503', async () => {
		const srv = await server({ odata: (req) => (req.method === 'POST' ? { status: 502, body: 'bad gateway' } : { body: {} }) });
		try {
			const error = await transport(srv).create(`${srv.url}/x/Activities`, { Subject: 'x' }).catch((e) => e);
			expect(error.status).toBe(502);
			expect(odataRequests(srv)).toHaveLength(1);
		} finally {
			await srv.close();
		}
	});

	it('gets a new token once when LN refuses a valid one, and counts every request', async () => {
		let refusals = 0;
		const srv = await server({
			odata: () => (refusals++ === 0 ? { status: 401, body: 'OAuth [U14]: unknown oauth_consumer_key' } : { body: { value: [] } }),
		});
		try {
			const requests: LnRequestInfo[] = [];
			await transport(srv, { requests }).getPage(`${srv.url}/${TENANT}/LN/lnapi/odata/tcapi.comContact/Contacts`);
			expect(tokenRequests(srv)).toHaveLength(2);
			expect(requests.map((r) => `${r.kind} ${r.status}`)).toEqual(['POST token 200', 'GET Contacts 401', 'POST token 200', 'GET Contacts 200']);
		} finally {
			await srv.close();
		}
	});

	it('refuses an invalid company or language before sending anything', () => {
		const ion = toIonApiConfig({ ti: 'T', ci: 'c', cs: 's', iu: 'https://ion.example', pu: 'https://sso.example/', ot: 'token' });
		expect(() => new LnTransport({ ion, company: 'abc' }, n8nHttpRequest)).toThrow(/company "abc"/);
		expect(() => new LnTransport({ ion, company: '100', language: 'english' }, n8nHttpRequest)).toThrow(/en-US/);
	});
});
