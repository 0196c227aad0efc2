import { LN_WEBHOOK_CREDENTIAL_ID, LN_WEBHOOK_HEADER, LN_WEBHOOK_SECRET, ourNode, startEnvironment, type Environment } from '../harness/environment';
import { WebhookHost } from '../harness/webhook-host';
import type { WorkflowJson } from '../harness/workflow-runner';
import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';

import type { ICredentialsDecrypted, ICredentialTestFunctions, IHookFunctions } from 'n8n-workflow';

import { signLnMessage } from '../../lib/ln/webhook';
import { InforLnTrigger } from '../../nodes/InforLnTrigger/InforLnTrigger.node';

let env: Environment;
let host: WebhookHost;
let workflow: WorkflowJson;
let url: string;

beforeAll(async () => {
	env = await startEnvironment();
	const trigger = ourNode('inforLnTrigger', { path: 'ln-exchange-sync/ln' }, { name: 'LN changed', webhookId: 'ln-hook' });
	workflow = { id: 'ln-trigger', name: 'LN trigger test', nodes: [trigger], connections: {} };
	host = new WebhookHost(env.runner, workflow, { runWorkflow: false });
	await host.start();
	url = host.webhookUrl(trigger);
});
afterAll(async () => {
	await host.stop();
	await env.stop();
});
afterEach(() => {
	env.credentials.set(LN_WEBHOOK_CREDENTIAL_ID, 'inforLnWebhookApi', { authentication: 'header', headerName: LN_WEBHOOK_HEADER, secret: LN_WEBHOOK_SECRET });
});

const message = { company: '100', activityId: 'ACT000001', changeType: 'updated' };
const post = (body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

it('emits only company, activity and change type for a post with the shared secret, and answers 202', async () => {
	const response = await post(JSON.stringify(message), { [LN_WEBHOOK_HEADER]: LN_WEBHOOK_SECRET, 'x-extra': 'kept out' });
	expect(response.status).toBe(202);
	expect(await response.json()).toEqual({ accepted: true, activityId: 'ACT000001' });
	const [item] = host.calls.at(-1)!.emitted;
	expect(Object.keys(item.json).sort()).toEqual(['activityId', 'changeType', 'company', 'kind', 'receivedAt']);
	expect(item.json).toMatchObject({ kind: 'ln', ...message });
});

/** What the trigger wrote to n8n's log while `action` ran. */
async function logged(action: () => Promise<void>): Promise<string[]> {
	const warn = jest.spyOn(Container.get(Logger), 'warn').mockImplementation(() => undefined);
	try {
		await action();
		return warn.mock.calls.map((call) => String(call[0]));
	} finally {
		warn.mockRestore();
	}
}

it('refuses a post without or with a wrong secret with a bare 401/403, and logs why for the administrator', async () => {
	let missing!: Response;
	let wrong!: Response;
	const log = await logged(async () => {
		missing = await post(JSON.stringify(message), {});
		wrong = await post(JSON.stringify(message), { [LN_WEBHOOK_HEADER]: LN_WEBHOOK_SECRET.slice(0, -1) });
	});
	expect(missing.status).toBe(401);
	expect(await missing.json()).toEqual({ error: 'Unauthorized' });
	expect(wrong.status).toBe(403);
	expect(await wrong.json()).toEqual({ error: 'Forbidden' });
	expect(log).toEqual([
		`Infor LN Trigger (LN changed) refused a post with 401: a post without the ${LN_WEBHOOK_HEADER} header`,
		`Infor LN Trigger (LN changed) refused a post with 403: the ${LN_WEBHOOK_HEADER} header does not match the secret`,
	]);
	expect(log.join('\n')).not.toContain(LN_WEBHOOK_SECRET.slice(0, 8));
	expect(host.calls.slice(-2).flatMap((c) => c.emitted)).toEqual([]);
});

describe('HMAC-SHA256 with a timestamp', () => {
	beforeEach(() => {
		env.credentials.set(LN_WEBHOOK_CREDENTIAL_ID, 'inforLnWebhookApi', {
			authentication: 'hmac',
			signatureHeaderName: 'X-LN-Signature',
			timestampHeaderName: 'X-LN-Timestamp',
			secret: LN_WEBHOOK_SECRET,
		});
	});
	const signed = (body: string, timestamp = Math.floor(Date.now() / 1000)) => ({
		'X-LN-Timestamp': String(timestamp),
		'X-LN-Signature': signLnMessage(LN_WEBHOOK_SECRET, timestamp, body),
	});

	it('accepts the exact body signed with its timestamp, and refuses a changed body or the secret in clear', async () => {
		const body = JSON.stringify(message, null, 2);
		const accepted = await post(body, signed(body));
		expect(accepted.status).toBe(202);
		expect(host.calls.at(-1)!.emitted[0].json).toMatchObject(message);
		const headers = signed(body);
		const tampered = await post(body.replace('ACT000001', 'ACT000002'), headers);
		expect(tampered.status).toBe(403);
		const clear = await post(body, { 'X-LN-Timestamp': headers['X-LN-Timestamp'], 'X-LN-Signature': LN_WEBHOOK_SECRET });
		expect(clear.status).toBe(403);
		const withoutTime = await post(body, { 'X-LN-Signature': headers['X-LN-Signature'] });
		expect(withoutTime.status).toBe(401);
	});

	it('refuses a captured message posted again, an old one, and one whose time was changed', async () => {
		const body = JSON.stringify({ ...message, activityId: 'ACT000004' });
		const headers = signed(body);
		expect((await post(body, headers)).status).toBe(202);
		const now = Math.floor(Date.now() / 1000);
		let again!: Response;
		let old!: Response;
		let moved!: Response;
		const log = await logged(async () => {
			again = await post(body, headers);
			old = await post(body, signed(body, now - 301));
			moved = await post(body, { ...headers, 'X-LN-Timestamp': String(now + 1) });
		});
		expect([again.status, old.status, moved.status]).toEqual([403, 403, 403]);
		expect(await again.json()).toEqual({ error: 'Forbidden' });
		expect(log[0]).toMatch(/a signed post was sent again \(same X-LN-Timestamp and body\); the repeat is refused$/);
		expect(log[1]).toMatch(/X-LN-Timestamp \d+, 30[12] s from now; at most 300 s are accepted \(check the clocks\)$/);
		expect(log[2]).toMatch(/the X-LN-Signature signature does not match the X-LN-Timestamp header and the body$/);
		expect(host.calls.slice(-3).flatMap((c) => c.emitted)).toEqual([]);
	});
});

it.each([
	['not JSON', 'activity 1 please', 400, /not JSON/],
	['a JSON array', '[1,2]', 400, /JSON object/],
	['a wrong change type', JSON.stringify({ ...message, changeType: 'moved' }), 400, /activity ACT000001.*changeType must be created, updated or deleted/],
	['a company that is not a number', JSON.stringify({ ...message, company: '100; drop' }), 400, /company must be an LN company number/],
	['an activity code with markup', JSON.stringify({ ...message, activityId: '<script>' }), 400, /activityId must be an LN activity code/],
	['more than 4 KB', JSON.stringify({ ...message, padding: 'x'.repeat(5000) }), 413, /at most 4096 bytes/],
])('refuses %s with a clear reason', async (_label, body, status, reason) => {
	const response = await post(body, { [LN_WEBHOOK_HEADER]: LN_WEBHOOK_SECRET });
	expect(response.status).toBe(status);
	expect(((await response.json()) as { error: string }).error).toMatch(reason);
	expect(host.calls.at(-1)!.emitted).toEqual([]);
});

it('refuses every post while the credential holds a guessable secret, telling only the log', async () => {
	env.credentials.set(LN_WEBHOOK_CREDENTIAL_ID, 'inforLnWebhookApi', { authentication: 'header', headerName: LN_WEBHOOK_HEADER, secret: 'short' });
	let response!: Response;
	const log = await logged(async () => {
		response = await post(JSON.stringify(message), { [LN_WEBHOOK_HEADER]: 'short' });
	});
	expect(response.status).toBe(403);
	expect(await response.json()).toEqual({ error: 'Forbidden' });
	expect(log).toEqual([expect.stringMatching(/secret is too short: use at least 16 random characters; every post is refused until then$/)]);
});

describe('the Infor LN Webhook credential and the trigger\'s activation', () => {
	const node = new InforLnTrigger();
	const credential = (data: Record<string, unknown>) => ({ id: 'w1', name: 'LN webhook', type: 'inforLnWebhookApi', data }) as ICredentialsDecrypted;

	it('tests the credential as every post will be checked: a short secret or no header name is named', async () => {
		const test = node.methods.credentialTest.inforLnWebhookApiTest.bind({} as ICredentialTestFunctions);
		expect(await test(credential({ authentication: 'header', headerName: LN_WEBHOOK_HEADER, secret: LN_WEBHOOK_SECRET }))).toMatchObject({ status: 'OK' });
		expect(await test(credential({ authentication: 'header', headerName: LN_WEBHOOK_HEADER, secret: 'short' }))).toEqual({ status: 'Error', message: expect.stringMatching(/secret is too short: use at least 16/) });
		expect(await test(credential({ authentication: 'hmac', signatureHeaderName: ' ', secret: LN_WEBHOOK_SECRET }))).toEqual({ status: 'Error', message: expect.stringMatching(/names no signature header/) });
	});

	it('refuses to activate with a credential that could accept no post, and otherwise logs the URL LN must call', async () => {
		const staticData: Record<string, unknown> = {};
		const info = jest.fn();
		const hooks = (secret: string) =>
			({
				getWorkflowStaticData: () => staticData,
				getNodeWebhookUrl: () => 'https://n8n.example.com/webhook/ln-exchange-sync/ln',
				getCredentials: async () => ({ authentication: 'header', headerName: LN_WEBHOOK_HEADER, secret }),
				getNode: () => ({ name: 'LN changed', type: 'n8n-nodes-ln-exchange-sync.inforLnTrigger', typeVersion: 1, position: [0, 0], parameters: {} }),
				logger: { info },
			}) as unknown as IHookFunctions;
		const lifecycle = node.webhookMethods.default;
		await expect(lifecycle.create.call(hooks('short'))).rejects.toThrow(/cannot accept LN's posts: the Infor LN Webhook credential's secret is too short/);
		expect(await lifecycle.checkExists.call(hooks(LN_WEBHOOK_SECRET))).toBe(false);
		expect(await lifecycle.create.call(hooks(LN_WEBHOOK_SECRET))).toBe(true);
		expect(info).toHaveBeenCalledWith(expect.stringContaining('LN must post its activity changes to https://n8n.example.com/webhook/ln-exchange-sync/ln'));
		expect(await lifecycle.checkExists.call(hooks(LN_WEBHOOK_SECRET))).toBe(true);
		expect(await lifecycle.delete.call(hooks(LN_WEBHOOK_SECRET))).toBe(true);
		expect(await lifecycle.checkExists.call(hooks(LN_WEBHOOK_SECRET))).toBe(false);
	});
});
