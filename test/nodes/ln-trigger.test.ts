import { LN_WEBHOOK_CREDENTIAL_ID, LN_WEBHOOK_HEADER, LN_WEBHOOK_SECRET, ourNode, startEnvironment, type Environment } from '../harness/environment';
import { WebhookHost } from '../harness/webhook-host';
import type { WorkflowJson } from '../harness/workflow-runner';
import { signLnMessage } from '../../lib/ln/webhook';

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

it('refuses a post without or with a wrong secret, without telling the secret', async () => {
	const missing = await post(JSON.stringify(message), {});
	expect(missing.status).toBe(401);
	expect(((await missing.json()) as { error: string }).error).toBe(`Missing the ${LN_WEBHOOK_HEADER} header`);
	const wrong = await post(JSON.stringify(message), { [LN_WEBHOOK_HEADER]: LN_WEBHOOK_SECRET.slice(0, -1) });
	expect(wrong.status).toBe(403);
	expect(await wrong.text()).not.toContain(LN_WEBHOOK_SECRET.slice(0, 8));
	expect(host.calls.slice(-2).flatMap((c) => c.emitted)).toEqual([]);
});

it('checks an HMAC-SHA256 signature of the exact body when the credential says so', async () => {
	env.credentials.set(LN_WEBHOOK_CREDENTIAL_ID, 'inforLnWebhookApi', { authentication: 'hmac', signatureHeaderName: 'X-LN-Signature', secret: LN_WEBHOOK_SECRET });
	const body = JSON.stringify(message, null, 2);
	const signed = await post(body, { 'X-LN-Signature': signLnMessage(LN_WEBHOOK_SECRET, body) });
	expect(signed.status).toBe(202);
	expect(host.calls.at(-1)!.emitted[0].json).toMatchObject(message);
	// The same signature over a changed body, or the secret sent in clear, is refused.
	const tampered = await post(body.replace('ACT000001', 'ACT000002'), { 'X-LN-Signature': signLnMessage(LN_WEBHOOK_SECRET, body) });
	expect(tampered.status).toBe(403);
	const clear = await post(body, { 'X-LN-Signature': LN_WEBHOOK_SECRET });
	expect(clear.status).toBe(403);
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

it('refuses every post while the credential holds a guessable secret', async () => {
	env.credentials.set(LN_WEBHOOK_CREDENTIAL_ID, 'inforLnWebhookApi', { authentication: 'header', headerName: LN_WEBHOOK_HEADER, secret: 'short' });
	const response = await post(JSON.stringify(message), { [LN_WEBHOOK_HEADER]: 'short' });
	expect(response.status).toBe(500);
	expect(((await response.json()) as { error: string }).error).toMatch(/secret is too short: use at least 16/);
});
