import { toIonApiConfig } from '../../../lib/ln/ionapi';
import { DEFAULT_LN_CLIENT, LnEmulator } from './emulator';
import { basic, call, client, passwordToken, sampleSeed, serviceUrl, tokenUrl, type Reply } from './test-helpers';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const NO_SA_CLIENT = { clientId: 'ACME_TST~cc-only', clientSecret: 'cc-secret-123' };

let emu: LnEmulator;

beforeAll(async () => {
	emu = new LnEmulator();
	await emu.start();
});
afterAll(() => emu.stop());
beforeEach(() => {
	emu.reset();
	emu.seed({ ...sampleSeed(), clients: [DEFAULT_LN_CLIENT, NO_SA_CLIENT] });
});

function postToken(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
	return call(tokenUrl(emu), { method: 'POST', headers: { ...FORM, ...headers }, body: new URLSearchParams(form).toString() });
}

const defaultBasic = () => ({ authorization: basic(DEFAULT_LN_CLIENT.clientId, DEFAULT_LN_CLIENT.clientSecret) });
const passwordForm = {
	grant_type: 'password',
	username: DEFAULT_LN_CLIENT.serviceAccountAccessKey,
	password: DEFAULT_LN_CLIENT.serviceAccountSecretKey,
};

async function works(token: string): Promise<number> {
	return (await client(emu, token)('Activities?$top=1')).status;
}

describe('.ionapi file', () => {
	it('points at the emulator and is accepted by the node’s parser', () => {
		const file = emu.ionapi();
		expect(file).toEqual({
			ti: 'ACME_TST',
			cn: expect.any(String),
			ci: 'ACME_TST~ln-exchange-sync',
			cs: DEFAULT_LN_CLIENT.clientSecret,
			iu: emu.url,
			pu: `${emu.url}/ACME_TST/as/`,
			oa: 'authorization.oauth2',
			ot: 'token.oauth2',
			or: 'revoke_token.oauth2',
			saak: DEFAULT_LN_CLIENT.serviceAccountAccessKey,
			sask: DEFAULT_LN_CLIENT.serviceAccountSecretKey,
		});
		const config = toIonApiConfig(file, { allowLoopbackHttp: true });
		expect(config.tokenUrl).toBe(`${emu.url}/ACME_TST/as/token.oauth2`);
		expect(emu.ionapi(NO_SA_CLIENT)).not.toHaveProperty('saak');
	});

	it('is served at GET /_control/ionapi', async () => {
		const reply = await call(`${emu.url}/_control/ionapi`);
		expect(reply.status).toBe(200);
		expect(reply.body).toEqual(emu.ionapi());
	});
});

describe('token endpoint', () => {
	it('password grant with the client in a Basic header', async () => {
		const reply = await postToken(passwordForm, defaultBasic());
		expect(reply.status).toBe(200);
		expect(reply.body).toEqual({
			access_token: expect.any(String),
			token_type: 'Bearer',
			expires_in: 7200,
			refresh_token: expect.any(String),
		});
		expect(reply.headers.get('cache-control')).toBe('no-store');
		expect(await works(reply.body.access_token as string)).toBe(200);
	});

	it('password grant with the client in form fields', async () => {
		const reply = await postToken({ ...passwordForm, client_id: DEFAULT_LN_CLIENT.clientId, client_secret: DEFAULT_LN_CLIENT.clientSecret });
		expect(reply.status).toBe(200);
		expect(await works(reply.body.access_token as string)).toBe(200);
	});

	it('client credentials, for clients with and without service-account keys, without a refresh token', async () => {
		for (const c of [DEFAULT_LN_CLIENT, NO_SA_CLIENT]) {
			const reply = await postToken({ grant_type: 'client_credentials' }, { authorization: basic(c.clientId, c.clientSecret) });
			expect(reply.status).toBe(200);
			expect(reply.body.refresh_token).toBeUndefined();
			expect(await works(reply.body.access_token as string)).toBe(200);
		}
	});

	it('refresh token grant gives a new working access token; unknown refresh tokens are refused', async () => {
		const first = await postToken(passwordForm, defaultBasic());
		const refreshed = await postToken({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }, defaultBasic());
		expect(refreshed.status).toBe(200);
		expect(refreshed.body.access_token).not.toBe(first.body.access_token);
		expect(await works(refreshed.body.access_token as string)).toBe(200);

		const unknown = await postToken({ grant_type: 'refresh_token', refresh_token: 'nope' }, defaultBasic());
		expect(unknown.status).toBe(400);
		expect(unknown.body.error).toBe('invalid_grant');
		const otherClient = await postToken(
			{ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string },
			{ authorization: basic(NO_SA_CLIENT.clientId, NO_SA_CLIENT.clientSecret) },
		);
		expect(otherClient.body.error).toBe('invalid_grant');
	});

	it('wrong client id or secret → 401 invalid_client', async () => {
		const attempts: Array<Record<string, string>> = [
			{ authorization: basic(DEFAULT_LN_CLIENT.clientId, 'wrong') },
			{ authorization: basic('ACME_TST~unknown', DEFAULT_LN_CLIENT.clientSecret) },
			{ authorization: 'Basic bm8tY29sb24=' },
			{},
		];
		for (const headers of attempts) {
			const reply = await postToken(passwordForm, headers);
			expect(reply.status).toBe(401);
			expect(reply.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
		}
		const form = await postToken({ ...passwordForm, client_id: DEFAULT_LN_CLIENT.clientId, client_secret: 'wrong' });
		expect(form.status).toBe(401);
		expect(form.body.error).toBe('invalid_client');
	});

	it('wrong service-account keys → 400 invalid_grant; no service account → unauthorized_client', async () => {
		for (const form of [
			{ ...passwordForm, username: 'ACME_TST#wrong' },
			{ ...passwordForm, password: 'wrong' },
			{ ...passwordForm, username: passwordForm.password, password: passwordForm.username },
		]) {
			const reply = await postToken(form, defaultBasic());
			expect(reply.status).toBe(400);
			expect(reply.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
		}
		const noSa = await postToken(passwordForm, { authorization: basic(NO_SA_CLIENT.clientId, NO_SA_CLIENT.clientSecret) });
		expect(noSa.status).toBe(400);
		expect(noSa.body.error).toBe('unauthorized_client');
	});

	it('unsupported grant → 400 unsupported_grant_type; missing parameters → 400 invalid_request', async () => {
		const unsupported = await postToken({ grant_type: 'authorization_code', code: 'x' }, defaultBasic());
		expect(unsupported.status).toBe(400);
		expect(unsupported.body.error).toBe('unsupported_grant_type');
		const incomplete: Array<Record<string, string>> = [{}, { grant_type: 'password', username: passwordForm.username }, { grant_type: 'refresh_token' }];
		for (const form of incomplete) {
			const reply = await postToken(form, defaultBasic());
			expect(reply.status).toBe(400);
			expect(reply.body.error).toBe('invalid_request');
		}
		const json = await call(tokenUrl(emu), {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...defaultBasic() },
			body: JSON.stringify(passwordForm),
		});
		expect(json.status).toBe(400);
		expect(json.body.error).toBe('invalid_request');
	});

	it('counts issued tokens in the state, and only token requests count', async () => {
		const before = emu.state().tokensIssued;
		const token = await passwordToken(emu);
		const odata = client(emu, token);
		for (let i = 0; i < 3; i++) expect((await odata('Activities')).status).toBe(200);
		await postToken({ grant_type: 'client_credentials' }, defaultBasic());
		const state = (await call(`${emu.url}/_control/state`)).body as { tokensIssued: number; tokens: { byGrant: Record<string, number> } };
		expect(state.tokensIssued).toBe(before + 2);
		expect(state.tokens.byGrant).toEqual({ password: 1, client_credentials: 1 });
	});
});

describe('bearer tokens on the OData API', () => {
	it('no token or an unknown token → 401 like the gateway', async () => {
		const none = await call(`${serviceUrl(emu)}/Activities`, { headers: { 'x-infor-lncompany': '100' } });
		expect(none.status).toBe(401);
		expect(none.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
		expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
		const unknown = await client(emu, 'made-up-token')('Activities');
		expect(unknown.status).toBe(401);
		expect(unknown.body.error).toBe('invalid_token');
	});

	it('tokens expire after their lifetime on the emulator clock', async () => {
		const token = await passwordToken(emu);
		await call(`${emu.url}/_control/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetMs: 7190_000 }) });
		expect(await works(token)).toBe(200);
		await call(`${emu.url}/_control/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetMs: 7201_000 }) });
		const expired = await client(emu, token)('Activities');
		expect(expired.status).toBe(401);
		expect(expired.body.error_description).toMatch(/expired/);
	});

	it('expireTokens() and POST /_control/expire-tokens invalidate every token; refresh tokens still work', async () => {
		const issued = await postToken(passwordForm, defaultBasic());
		const token = issued.body.access_token as string;
		const other = await passwordToken(emu);
		emu.expireTokens();
		expect(await works(token)).toBe(401);
		expect(await works(other)).toBe(401);
		expect(emu.state().tokens.active).toBe(0);

		const refreshed = await postToken({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token as string }, defaultBasic());
		expect(await works(refreshed.body.access_token as string)).toBe(200);
		const fresh = await passwordToken(emu);
		expect((await call(`${emu.url}/_control/expire-tokens`, { method: 'POST' })).status).toBe(204);
		expect(await works(fresh)).toBe(401);
		expect(await works(await passwordToken(emu))).toBe(200);
	});

	it('a revoked token stops working', async () => {
		const token = await passwordToken(emu);
		const revoke = await call(`${emu.ionapi().pu}${emu.ionapi().or}`, {
			method: 'POST',
			headers: { ...FORM, ...defaultBasic() },
			body: new URLSearchParams({ token }).toString(),
		});
		expect(revoke.status).toBe(200);
		expect(await works(token)).toBe(401);
	});

	it('honours a custom token lifetime', async () => {
		const short = new LnEmulator({ tokenLifetimeSeconds: 60 });
		await short.start();
		try {
			short.seed(sampleSeed());
			const reply = await call(tokenUrl(short), { method: 'POST', headers: { ...FORM, ...defaultBasic() }, body: new URLSearchParams(passwordForm).toString() });
			expect(reply.body.expires_in).toBe(60);
			short.clockOffsetMs = 61_000;
			expect((await client(short, reply.body.access_token as string)('Activities')).status).toBe(401);
		} finally {
			await short.stop();
		}
	});
});
