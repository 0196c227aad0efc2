import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import type { GraphSeed } from '../emulators/graph/emulator';
import { ourNode, startEnvironment, type Environment } from '../harness/environment';
import { WebhookHost } from '../harness/webhook-host';
import type { WorkflowJson } from '../harness/workflow-runner';

const seed = (): GraphSeed => ({
	users: [
		{ mail: 'ann@contoso.com', displayName: 'Ann' },
		{ mail: 'bob@contoso.com', displayName: 'Bob' },
	],
});

const start = DateTime.utc().plus({ days: 2 }).startOf('hour');
const meeting = (subject: string): Event => ({
	subject,
	start: { dateTime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
	end: { dateTime: start.plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
});

let env: Environment;
let host: WebhookHost;
let workflow: WorkflowJson;
let counter = 0;

beforeAll(async () => {
	env = await startEnvironment({ graphSeed: seed() });
});
afterAll(() => env.stop());

beforeEach(async () => {
	env.graph.seed(seed());
	env.graph.setNotificationMode({});
	counter++;
	const trigger = ourNode('microsoftGraphTrigger', { mailboxes: 'ann@contoso.com, bob@contoso.com', path: `ln-exchange-sync/graph-${counter}`, watch: 'events', changeTypes: ['created', 'updated', 'deleted'] }, { name: 'Graph Trigger', webhookId: `hook-${counter}` });
	workflow = { id: `trigger-${counter}`, name: 'trigger test', nodes: [trigger], connections: {} };
	host = new WebhookHost(env.runner, workflow, { runWorkflow: false });
	await host.start();
});
afterEach(async () => {
	await host.stop();
	jest.restoreAllMocks();
});

const subscriptions = () => (env.graph.state() as { subscriptions: Array<{ id: string; resource: string; notificationUrl: string; expirationDateTime: string }> }).subscriptions;
const triggerState = () => env.runner.staticData.get(workflow.id!)?.['node:Graph Trigger'] as { subscriptions: Record<string, { id: string; mailbox: string; expiration: string }> };
/** The trigger's subscription of a mailbox, from its static data. */
const subscriptionOf = (mailbox: string) => Object.values(triggerState().subscriptions).find((s) => s.mailbox === mailbox)!;

async function settled(): Promise<void> {
	await env.graph.flushNotifications();
	await host.settle();
}

it('creates one subscription per mailbox on activation, after the validation handshake, and none on a second activation', async () => {
	await host.activate();
	const first = subscriptions();
	expect(first.map((s) => s.resource).sort()).toEqual(['/users/ann@contoso.com/events', '/users/bob@contoso.com/events']);
	expect(first.every((s) => s.notificationUrl === host.webhookUrl(workflow.nodes[0]))).toBe(true);
	// The longest lifetime Graph allows (10,080 minutes), read back from Graph.
	expect(Date.parse(first[0].expirationDateTime) - Date.now()).toBeGreaterThan(6.9 * 24 * 3_600_000);
	expect(Object.values(triggerState().subscriptions).map((s) => s.mailbox).sort()).toEqual(['ann@contoso.com', 'bob@contoso.com']);
	await host.activate();
	expect(subscriptions().map((s) => s.id).sort()).toEqual(first.map((s) => s.id).sort());
});

it('answers the validation request with the token as plain text and nothing else', async () => {
	const token = '<b>Validation: 9c</b> &amp; "quotes"';
	const response = await fetch(`${host.webhookUrl(workflow.nodes[0])}?validationToken=${encodeURIComponent(token)}`, { method: 'POST' });
	expect(response.status).toBe(200);
	expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
	expect(await response.text()).toBe(token);
	expect(host.emitted()).toEqual([]);
});

it('emits each change once, with mailbox, event id, change type and subscription', async () => {
	await host.activate();
	const event = env.graph.createEvent('ann@contoso.com', meeting('Planning'));
	await settled();
	const items = host.emitted();
	expect(items).toEqual([
		{ kind: 'change', mailbox: 'ann@contoso.com', eventId: event.id, changeType: 'created', subscriptionId: subscriptionOf('ann@contoso.com').id, etag: expect.any(String) },
	]);
	expect(host.calls.filter((call) => call.emitted.length > 0).map((call) => call.status)).toEqual([202]);
});

const postNotifications = (value: unknown[]) =>
	fetch(host.webhookUrl(workflow.nodes[0]), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }) });

it('refuses notifications with a wrong clientState, emits nothing for them and writes no static data', async () => {
	await host.activate();
	const subscriptionId = subscriptionOf('ann@contoso.com').id;
	const before = JSON.stringify(env.runner.staticData.get(workflow.id!));
	const response = await postNotifications([{ subscriptionId, clientState: 'guessed', changeType: 'created', resource: 'Users/x/Events/forged', resourceData: { id: 'forged' } }]);
	expect(response.status).toBe(202);
	await host.settle();
	expect(host.emitted()).toEqual([]);
	expect(JSON.stringify(env.runner.staticData.get(workflow.id!))).toBe(before);
});

it('takes a valid clientState only with its own subscription: not with __proto__, a made-up id or another mailbox', async () => {
	await host.activate();
	const ann = subscriptionOf('ann@contoso.com').id;
	const bob = subscriptionOf('bob@contoso.com').id;
	const annClientState = (env.graph.state() as { subscriptions: Array<{ id: string; clientState: string }> }).subscriptions.find((s) => s.id === ann)!.clientState;
	const before = JSON.stringify(env.runner.staticData.get(workflow.id!));
	const forged = (subscriptionId: string, resource: string) => ({ subscriptionId, clientState: annClientState, changeType: 'updated', resource, resourceData: { id: 'victim-event' } });
	await postNotifications([
		forged('__proto__', 'Users/bob@contoso.com/Events/victim-event'),
		forged('constructor', 'Users/bob@contoso.com/Events/victim-event'),
		forged('0b1c2d3e-0000-4000-8000-000000000000', 'Users/bob@contoso.com/Events/victim-event'),
		forged(bob, 'Users/bob@contoso.com/Events/victim-event'),
	]);
	await host.settle();
	expect(host.emitted()).toEqual([]);
	const after = env.runner.staticData.get(workflow.id!) as { 'node:Graph Trigger': { subscriptions: Record<string, unknown> } };
	expect(Object.keys(after['node:Graph Trigger'].subscriptions).sort()).toEqual([ann, bob].sort());
	expect(Object.getPrototypeOf(after['node:Graph Trigger'].subscriptions)).toBe(Object.prototype);
	expect(JSON.stringify(after)).toBe(before);
	// Ann's own subscription with her clientState still works, with her mailbox whatever the resource says.
	await postNotifications([forged(ann, 'Users/bob@contoso.com/Events/victim-event')]);
	await host.settle();
	expect(host.emitted()).toEqual([expect.objectContaining({ kind: 'change', mailbox: 'ann@contoso.com', eventId: 'victim-event', subscriptionId: ann })]);
});

it('emits each of a burst of 200 changes once, even when Graph repeats them', async () => {
	await host.activate();
	env.graph.setNotificationMode({ duplicate: 1, reorder: true });
	const created = Array.from({ length: 200 }, (_, i) => env.graph.createEvent(i % 2 ? 'ann@contoso.com' : 'bob@contoso.com', meeting(`Burst ${i}`)));
	await settled();
	const emitted = host.emitted();
	expect(emitted).toHaveLength(200);
	expect(new Set(emitted.map((item) => item.eventId))).toEqual(new Set(created.map((e) => e.id)));
	expect(env.graph.notificationDeliveries().every((delivery) => delivery.status === 202 && delivery.ms < 3000)).toBe(true);
});

it('handles the three lifecycle notifications', async () => {
	await host.activate();
	const before = { ...subscriptionOf('ann@contoso.com') };
	env.graph.clockOffsetMs = 0;
	await env.graph.fireLifecycle(before.id, 'reauthorizationRequired');
	await settled();
	expect(subscriptionOf('ann@contoso.com').id).toBe(before.id);
	expect(host.emitted()).toEqual([]);

	await env.graph.fireLifecycle(before.id, 'missed');
	await settled();
	expect(host.emitted()).toEqual([{ kind: 'resync', mailbox: 'ann@contoso.com', subscriptionId: before.id, reason: 'notifications were missed' }]);

	await env.graph.fireLifecycle(before.id, 'subscriptionRemoved');
	await settled();
	const after = subscriptionOf('ann@contoso.com');
	expect(after.id).not.toBe(before.id);
	expect(subscriptions().map((s) => s.id)).toContain(after.id);
	expect(subscriptions().map((s) => s.id)).not.toContain(before.id);
	expect(host.emitted()[1]).toMatchObject({ kind: 'resync', mailbox: 'ann@contoso.com', subscriptionId: after.id });
});

it('renews subscriptions that near their expiry when a notification arrives (shortened clock)', async () => {
	await host.activate();
	const before = subscriptionOf('ann@contoso.com').expiration;
	// Six days later for both sides: a day of the subscription is left, under the renewal margin.
	const sixDays = 6 * 24 * 3_600_000;
	const realNow = Date.now.bind(Date);
	jest.spyOn(Date, 'now').mockImplementation(() => realNow() + sixDays);
	env.graph.createEvent('bob@contoso.com', meeting('Six days later'));
	await settled();
	const after = subscriptionOf('ann@contoso.com').expiration;
	expect(Date.parse(after)).toBeGreaterThan(Date.parse(before) + sixDays - 60_000);
	const stored = subscriptions().find((s) => s.resource === '/users/ann@contoso.com/events')!;
	expect(stored.expirationDateTime).toBe(after);
});

it('emits what it acknowledged even when renewing a subscription fails after the 202', async () => {
	await host.activate();
	const sixDays = 6 * 24 * 3_600_000;
	const realNow = Date.now.bind(Date);
	jest.spyOn(Date, 'now').mockImplementation(() => realNow() + sixDays);
	// Every renewal is refused (throttled for longer than a webhook may wait).
	env.graph.faults.add({ kind: 'status', status: 400, match: { method: 'PATCH', path: '/subscriptions/' }, times: 0, body: { error: { code: 'InvalidRequest', message: 'refused' } } });
	try {
		const event = env.graph.createEvent('bob@contoso.com', meeting('Renewal fails'));
		await settled();
		expect(host.emitted()).toEqual([expect.objectContaining({ kind: 'change', mailbox: 'bob@contoso.com', eventId: event.id })]);
	} finally {
		env.graph.faults.clear();
	}
});

it('emits a resync for a lifecycle notification it could not act on', async () => {
	await host.activate();
	const subscription = subscriptionOf('ann@contoso.com');
	env.graph.faults.add({ kind: 'status', status: 400, match: { method: 'POST', path: '/subscriptions' }, times: 0, body: { error: { code: 'InvalidRequest', message: 'refused' } } });
	try {
		await env.graph.fireLifecycle(subscription.id, 'subscriptionRemoved');
		await settled();
		expect(host.emitted()).toEqual([expect.objectContaining({ kind: 'resync', mailbox: 'ann@contoso.com' })]);
	} finally {
		env.graph.faults.clear();
	}
});

it('deletes its subscriptions on deactivation, and a subscription already gone is fine', async () => {
	await host.activate();
	const annId = subscriptionOf('ann@contoso.com').id;
	await fetch(`${env.graph.url}/v1.0/subscriptions/${annId}`, { method: 'DELETE', headers: { authorization: `Bearer ${await token()}` } });
	await host.deactivate();
	expect(subscriptions()).toEqual([]);
	expect(triggerState().subscriptions).toEqual({});
});

async function token(): Promise<string> {
	const response = await fetch(`${env.graph.loginUrl}/${env.graph.tenantId}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ client_id: env.graph.app.clientId, client_secret: env.graph.app.clientSecret, scope: `${env.graph.url}/.default`, grant_type: 'client_credentials' }).toString(),
	});
	return ((await response.json()) as { access_token: string }).access_token;
}

it('accepts notifications of subscriptions that Subscription → Keep for Mailboxes made, and keeps exactly the listed mailboxes', async () => {
	// A trigger with no mailboxes of its own: the scheduled keeper subscribes the LN sync users.
	const trigger = ourNode('microsoftGraphTrigger', { mailboxes: '', path: 'ln-exchange-sync/kept', watch: 'events', changeTypes: ['created', 'updated', 'deleted'] }, { name: 'Graph Trigger', webhookId: 'kept-hook' });
	const keeper = ourNode('microsoftExchange', { resource: 'subscription', operation: 'keep', mailboxes: '={{ $json.mailboxes }}', triggerPath: 'ln-exchange-sync/kept', watch: 'events', changeTypes: ['created', 'updated', 'deleted'], keepMarginHours: 56 }, { name: 'Keep' });
	const keptWorkflow: WorkflowJson = { id: 'kept', name: 'kept', nodes: [trigger, keeper], connections: {} };
	const keptHost = new WebhookHost(env.runner, keptWorkflow, { runWorkflow: false });
	await keptHost.start();
	try {
		await keptHost.activate();
		expect(subscriptions()).toEqual([]);
		const keep = (mailboxes: string) => env.runner.run(keptWorkflow, { startNode: 'Keep', inputItems: [{ json: { mailboxes } }] });
		const first = await keep('ann@contoso.com, bob@contoso.com');
		expect(first.output('Keep').map((i) => `${i.json.mailbox}:${i.json.action}`).sort()).toEqual(['ann@contoso.com:created', 'bob@contoso.com:created']);
		expect(subscriptions().every((s) => s.notificationUrl === keptHost.webhookUrl(trigger))).toBe(true);
		const second = await keep('ann@contoso.com');
		expect(second.output('Keep').map((i) => `${i.json.mailbox}:${i.json.action}`).sort()).toEqual(['ann@contoso.com:kept', 'bob@contoso.com:deleted']);
		const event = env.graph.createEvent('ann@contoso.com', meeting('Kept'));
		await env.graph.flushNotifications();
		await keptHost.settle();
		expect(keptHost.emitted()).toEqual([expect.objectContaining({ kind: 'change', mailbox: 'ann@contoso.com', eventId: event.id })]);
		await keptHost.deactivate();
		expect(subscriptions()).toEqual([]);
	} finally {
		await keptHost.stop();
	}
});
