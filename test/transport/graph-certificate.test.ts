import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { clientAssertion, parseCertificateSignIn, type CertificateSignIn } from '../../lib/graph/client-assertion';
import { resolveEndpoints } from '../../lib/graph/clouds';
import { GraphAuthError, GraphTransport } from '../../lib/graph/transport';
import { TokenCache } from '../../lib/http/token-cache';
import { MicrosoftExchange } from '../../nodes/MicrosoftExchange/MicrosoftExchange.node';
import type { GraphEmulator } from '../emulators/graph/emulator';
import { BASE_SEED, startEmulator } from '../emulators/graph/test-helpers';
import { credentialTestContext } from '../helpers/n8n-http';

// Certificate sign-in to Entra (issue 17, point 3): a client assertion signed with the certificate's key.

/** A throw-away RSA certificate and its key, made by openssl (as a user would for an app registration). */
function makeCertificate(name: string): CertificateSignIn {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-cert-'));
	try {
		const keyPath = path.join(dir, 'key.pem');
		const certPath = path.join(dir, 'cert.pem');
		execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30', '-keyout', keyPath, '-out', certPath, '-subj', `/CN=${name}`], { stdio: 'ignore' });
		return { privateKey: fs.readFileSync(keyPath, 'utf8'), certificate: fs.readFileSync(certPath, 'utf8') };
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

const uploaded = makeCertificate('ln-exchange-sync');
const other = makeCertificate('not-uploaded');
const keyBody = (pem: string) => pem.split('\n').filter((line) => line && !line.startsWith('-----')).join('');

let graph: GraphEmulator;
beforeAll(async () => {
	graph = await startEmulator();
});
afterAll(() => graph.stop());
beforeEach(() => {
	const app = graph.app;
	graph.seed({ ...BASE_SEED, apps: [{ ...app, certificates: [uploaded.certificate] }] });
	graph.log.clear();
});

function transport(certificate: CertificateSignIn) {
	return new GraphTransport(
		{ tenantId: graph.tenantId, clientId: graph.app.clientId, certificate, ...resolveEndpoints('custom', { graphBaseUrl: graph.url, loginUrl: graph.loginUrl }) },
		{ tokenCache: new TokenCache(), retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 } },
	);
}

const tokenUrl = () => `${graph.loginUrl}/${graph.tenantId}/oauth2/v2.0/token`;

async function postToken(assertion: string, type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'): Promise<{ status: number; body: { error_description?: string; access_token?: string } }> {
	const form = new URLSearchParams({ client_id: graph.app.clientId, client_assertion_type: type, client_assertion: assertion, scope: `${graph.url}/.default`, grant_type: 'client_credentials' });
	const response = await fetch(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
	return { status: response.status, body: (await response.json()) as never };
}

describe('certificate sign-in to Microsoft Entra ID', () => {
	it('signs in with a client assertion, and the secret material never travels', async () => {
		const users = await transport(uploaded).getAll(`${graph.url}/v1.0/users?$select=mail`);
		expect(users.length).toBeGreaterThan(0);
		const tokenRequest = graph.log.all().find((r) => r.path.endsWith('/oauth2/v2.0/token'))!;
		expect(JSON.stringify(tokenRequest)).not.toContain('client_secret');
		expect(JSON.stringify(graph.log.all())).not.toContain(keyBody(uploaded.privateKey).slice(0, 40));
	});

	it('is refused, with Microsoft\'s reason and without the key, for a certificate the app does not have', async () => {
		const error = await transport(other).getAll(`${graph.url}/v1.0/users`).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(GraphAuthError);
		expect((error as Error).message).toMatch(/AADSTS700027: Client assertion failed signature validation\. Reason - The key was not found\./);
		expect((error as Error).message).not.toContain(keyBody(other.privateKey).slice(0, 40));
	});

	it('names a wrong pair before any request: not PEM, a key of another certificate, an expired certificate', () => {
		expect(() => parseCertificateSignIn({ certificate: 'hello', privateKey: uploaded.privateKey })).toThrow('Certificate is not a PEM certificate');
		expect(() => parseCertificateSignIn({ certificate: uploaded.certificate, privateKey: 'nope' })).toThrow(/^Private Key is not an unencrypted PEM private key/);
		expect(() => parseCertificateSignIn({ certificate: uploaded.certificate, privateKey: other.privateKey })).toThrow('Private Key does not belong to the Certificate');
		expect(() => parseCertificateSignIn(uploaded, new Date(Date.now() + 90 * 86_400_000))).toThrow(/^Certificate expired on .*: make a new one and upload it to the app registration$/);
	});

	it('the token endpoint checks signature, audience, issuer and time, as Entra does', async () => {
		const signIn = parseCertificateSignIn(uploaded);
		const good = clientAssertion({ clientId: graph.app.clientId, tokenUrl: tokenUrl(), signIn });
		expect((await postToken(good)).body.access_token).toBeTruthy();
		const [h, p, s] = good.split('.');
		const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
		const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone' })).toString('base64url')}.${s}`;
		expect((await postToken(forged)).body.error_description).toMatch(/^AADSTS700027: Client assertion failed signature validation\./);
		expect((await postToken(clientAssertion({ clientId: graph.app.clientId, tokenUrl: 'https://login.example.org/t/oauth2/v2.0/token', signIn }))).body.error_description).toMatch(/^AADSTS50027: The audience/);
		expect((await postToken(clientAssertion({ clientId: graph.app.clientId, tokenUrl: tokenUrl(), signIn, nowMs: Date.now() - 3_600_000 }))).body.error_description).toMatch(/^AADSTS700024: Client assertion is not within its valid time range/);
		expect((await postToken(clientAssertion({ clientId: 'another-app', tokenUrl: tokenUrl(), signIn }))).body.error_description).toMatch(/^AADSTS700021: /);
		expect((await postToken(good, 'urn:other')).status).toBe(400);
		expect((await postToken('a.b')).body.error_description).toMatch(/^AADSTS50027: JWT token is invalid or malformed/);
	});

	it('the credential test of the Microsoft Exchange node covers both ways of signing in', async () => {
		const [test] = Object.values(new MicrosoftExchange().methods.credentialTest) as Array<(this: ICredentialTestFunctions, c: ICredentialsDecrypted) => Promise<INodeCredentialTestResult>>;
		const run = (data: Record<string, unknown>) =>
			test.call(credentialTestContext, {
				id: 'c1',
				name: 'graph',
				type: 'microsoftGraphAppOnlyApi',
				data: { tenantId: graph.tenantId, clientId: graph.app.clientId, cloud: 'custom', graphBaseUrl: graph.url, loginUrl: graph.loginUrl, ...data },
			} as ICredentialsDecrypted);
		expect(await run({ authentication: 'certificate', ...uploaded })).toMatchObject({ status: 'OK' });
		expect(await run({ clientSecret: graph.app.clientSecret })).toMatchObject({ status: 'OK' });
		const wrongPair = await run({ authentication: 'certificate', certificate: uploaded.certificate, privateKey: other.privateKey });
		expect(wrongPair).toMatchObject({ status: 'Error' });
		expect(wrongPair.message).toMatch(/Private Key does not belong to the Certificate/);
		const notUploaded = await run({ authentication: 'certificate', ...other });
		expect(notUploaded.message).toMatch(/AADSTS700027/);
		expect(JSON.stringify([wrongPair, notUploaded])).not.toContain(keyBody(other.privateKey).slice(0, 40));
	});
});
