import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import type { FaultRule } from '../emulators/common/faults';
import { LN_WEBHOOK_HEADER, LN_WEBHOOK_SECRET, startEnvironment, type Environment } from '../harness/environment';
import type { WebhookHost } from '../harness/webhook-host';
import { scenario } from '../workflows/scenario';
import { activePush, endState, runPullExpectingFailures, shipped } from '../workflows/workflow-helpers';

const pull = shipped('pull-sync.json');
const push = shipped('push-sync.json');
const now = DateTime.utc();

/** A fresh tenant (the scenario), small LN pages so paging always happens. */
async function tenant(): Promise<Environment> {
	const data = scenario(now);
	return startEnvironment({ lnSeed: data.lnSeed, graphSeed: data.graphSeed, nodes: 'dist', lnPageSize: 2, workflows: { [pull.id]: pull, [push.id]: push } });
}

/** A pull; a fault makes users fail, which ends the execution in error after the report (not thrown here). */
async function runPull(env: Environment): Promise<void> {
	await runPullExpectingFailures(env, pull);
}

/** Changes on both sides between two runs. */
function changeBothSides(env: Environment): void {
	env.ln.update('100', 'activities', { id: 'ACT000001' }, { location: 'Board room' });
	const start = now.plus({ days: 12 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
	const event: Event = {
		subject: 'New in Outlook',
		start: { dateTime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
		end: { dateTime: start.plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
		attendees: [{ emailAddress: { address: 'ann@contoso.com' }, type: 'required' }],
	};
	env.graph.createEvent('cat@contoso.com', event);
	const workshop = env.graph.events('ann@contoso.com').find((e) => e.subject === 'Customer workshop')!;
	env.graph.updateEvent('ann@contoso.com', workshop.id!, { location: { displayName: 'Room 42' } });
}

let afterFirst: unknown;
let afterSecond: unknown;

beforeAll(async () => {
	const env = await tenant();
	try {
		await runPull(env);
		afterFirst = endState(env);
		changeBothSides(env);
		await runPull(env);
		afterSecond = endState(env);
	} finally {
		await env.stop();
	}
});

const throttled = (code: string, message: string, retryAfter = '1') => ({ status: 429, headers: { 'Retry-After': retryAfter }, body: { error: { code, message } } });

describe('faults during the first sync end in the fault-free state', () => {
	const cases: Array<[string, (env: Environment) => void]> = [
		['Graph 429 MailboxConcurrency (real concurrency limit of 2 and injected 429s)', (env) => {
			env.graph.setThrottling({ concurrencyPerMailbox: 2, retryAfterSeconds: 1 });
			env.graph.faults.add({ kind: 'status', ...throttled('ApplicationThrottled', 'Application is over its MailboxConcurrency limit.'), probability: 0.2, seed: 3, times: 8 } as FaultRule);
		}],
		['Graph request budget per mailbox exhausted (429 with Retry-After)', (env) => env.graph.setThrottling({ budget: { requests: 12, windowMs: 1500 }, retryAfterSeconds: 1 })],
		['Graph 503 and 504', (env) => {
			env.graph.faults.add({ kind: 'status', status: 503, nth: 2, times: 3, match: { method: 'POST', path: '$batch' }, headers: { 'Retry-After': '0' } });
			env.graph.faults.add({ kind: 'status', status: 504, nth: 1, times: 3, match: { method: 'GET', path: '/events' } });
		}],
		['Graph connection reset', (env) => env.graph.faults.add({ kind: 'reset', nth: 4, times: 3 })],
		['Graph create committed but its answer lost', (env) => env.graph.faults.add({ kind: 'lostResponse', match: { method: 'POST', path: '$batch' }, times: 4 })],
		['Graph token expiring in the middle of the run', (env) => {
			// Every token the emulator issued expires after its 12th answer, while the run is going on (a
			// request count, not a timer: under load a timer lands anywhere, even after the run).
			const log = env.graph.log;
			const add = log.add.bind(log);
			let answered = 0;
			log.add = (entry) => {
				add(entry);
				if (++answered === 12) env.graph.expireTokens();
			};
		}],
		['LN token refused once (transient 401)', (env) => env.ln.faults.add({ kind: 'status', status: 401, nth: 3, body: 'OAuth [U14]: unknown oauth_consumer_key' })],
		['LN 412 stale ETag on a flag update', (env) => env.ln.faults.add({ kind: 'status', status: 412, match: { method: 'PATCH', path: 'Attendees' }, nth: 2, body: { Code: 'ERROR:ttstps0110', Message: 'Record modified by other user' } })],
		['LN 5xx on a page in the middle of paging', (env) => env.ln.faults.add({ kind: 'status', status: 503, match: { method: 'GET', path: '$skiptoken' }, nth: 2, times: 2 })],
		['LN create committed but its answer lost', (env) => env.ln.faults.add({ kind: 'lostResponse', match: { method: 'POST', path: 'Activities' }, times: 2 })],
	];

	it.each(cases)('%s', async (_label, inject) => {
		const env = await tenant();
		try {
			inject(env);
			await runPull(env);
			const faults = [...env.graph.faults.list(), ...env.ln.faults.list()];
			env.graph.faults.clear();
			env.ln.faults.clear();
			expect(endState(env)).toEqual(afterFirst);
			// The fault really happened (or the throttling did).
			const hit = faults.some((f) => f.applied > 0) || env.graph.log.all().some((r) => r.status === 429 || r.status === 401);
			expect(hit).toBe(true);
		} finally {
			await env.stop();
		}
	});
});

describe('faults on a later run end in the fault-free state', () => {
	it('Graph delta token expired (410): a full read, no duplicates', async () => {
		const env = await tenant();
		try {
			await runPull(env);
			changeBothSides(env);
			env.graph.expireDeltaTokens();
			await runPull(env);
			expect(endState(env)).toEqual(afterSecond);
			expect(env.graph.log.all().some((r) => r.status === 410)).toBe(true);
		} finally {
			await env.stop();
		}
	});

	it('a run that fails half-way (LN unreachable for one user) and is repeated', async () => {
		const env = await tenant();
		try {
			await runPull(env);
			changeBothSides(env);
			env.ln.faults.add({ kind: 'status', status: 500, times: 0, match: { method: 'GET', path: 'E001' } });
			await runPull(env);
			env.ln.faults.clear();
			await runPull(env);
			expect(endState(env)).toEqual(afterSecond);
		} finally {
			await env.stop();
		}
	});
});

describe('push faults: each change applied once', () => {
	let env: Environment;
	let host: WebhookHost;
	beforeEach(async () => {
		env = await tenant();
		await runPull(env);
		({ host } = await activePush(env, push));
	});
	afterEach(async () => {
		await host.deactivate();
		await host.stop();
		await env.stop();
	});

	const settled = async () => {
		await env.graph.flushNotifications();
		await host.settle();
	};
	const workshop = () => env.ln.list('100', 'activities').find((a) => String(a.subject).startsWith('Customer workshop'))!;
	const lnPatches = () => env.ln.log.all().filter((r) => r.method === 'PATCH' && r.path.includes(`Activities('${workshop().id}')`));

	it('notifications repeated and out of order', async () => {
		env.graph.setNotificationMode({ duplicate: 3, reorder: true });
		const event = env.graph.events('ann@contoso.com').find((e) => e.subject === 'Customer workshop')!;
		env.ln.log.clear();
		env.graph.updateEvent('ann@contoso.com', event.id!, { location: { displayName: 'Room 7' } });
		await settled();
		expect(workshop().location).toBe('Room 7');
		expect(lnPatches()).toHaveLength(1);
	});

	it('notifications missed: the lifecycle "missed" resynchronizes the mailbox', async () => {
		env.graph.setNotificationMode({ drop: 10 });
		const event = env.graph.events('ann@contoso.com').find((e) => e.subject === 'Quarterly review')!;
		env.graph.deleteEvent('ann@contoso.com', event.id!);
		await settled();
		expect(env.ln.get('100', 'activities', { id: 'ACT000001' })?.status).toBe('Planned');
		const subscription = (env.graph.state() as { subscriptions: Array<{ id: string; resource: string }> }).subscriptions.find((s) => s.resource.includes('ann@'))!;
		env.graph.setNotificationMode({});
		await env.graph.fireLifecycle(subscription.id, 'missed');
		await settled();
		expect(env.ln.get('100', 'activities', { id: 'ACT000001' })?.status).toBe('Cancelled');
	});

	it('subscription removed: recreated, and the next change arrives', async () => {
		const subscription = (env.graph.state() as { subscriptions: Array<{ id: string; resource: string }> }).subscriptions.find((s) => s.resource.includes('ann@'))!;
		await env.graph.fireLifecycle(subscription.id, 'subscriptionRemoved');
		await settled();
		const subscriptions = (env.graph.state() as { subscriptions: Array<{ id: string; resource: string }> }).subscriptions.filter((s) => s.resource.includes('ann@'));
		expect(subscriptions).toHaveLength(1);
		expect(subscriptions[0].id).not.toBe(subscription.id);
		const event = env.graph.events('ann@contoso.com').find((e) => e.subject === 'Customer workshop')!;
		env.graph.updateEvent('ann@contoso.com', event.id!, { location: { displayName: 'Room 9' } });
		await settled();
		expect(workshop().location).toBe('Room 9');
	});

	it('a burst of 1,000 notifications within 10 seconds: each answered within 3 s, each change applied once', async () => {
		const started = Date.now();
		const start = now.plus({ days: 20 }).startOf('hour');
		for (let i = 0; i < 1000; i++) {
			const at = start.plus({ minutes: 30 * i });
			env.graph.createEvent(['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com'][i % 3], {
				subject: `Burst ${i}`,
				start: { dateTime: at.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
				end: { dateTime: at.plus({ minutes: 20 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
			});
		}
		await env.graph.flushNotifications();
		const delivered = Date.now() - started;
		await host.settle();
		const deliveries = env.graph.notificationDeliveries().filter((d) => Date.parse(d.at) >= started);
		expect(deliveries.reduce((sum, d) => sum + d.notifications, 0)).toBeGreaterThanOrEqual(1000);
		expect(deliveries.every((d) => d.status === 202 && d.ms < 3000)).toBe(true);
		expect(delivered).toBeLessThan(10_000);
		const burst = env.ln.list('100', 'activities').filter((a) => String(a.subject).startsWith('Burst '));
		expect(burst).toHaveLength(1000);
		expect(new Set(burst.map((a) => a.reference)).size).toBe(1000);
	}, 180_000);

	it('an LN message posted twice changes Exchange once', async () => {
		env.ln.update('100', 'activities', { id: 'ACT000001' }, { subject: 'Twice posted' });
		env.graph.log.clear();
		for (let i = 0; i < 2; i++) {
			const response = await fetch(`${host.url}webhook/ln-exchange-sync/ln`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', [LN_WEBHOOK_HEADER]: LN_WEBHOOK_SECRET },
				body: JSON.stringify({ company: '100', activityId: 'ACT000001', changeType: 'updated' }),
			});
			expect(response.status).toBe(202);
			await host.settle();
		}
		const patches = env.graph.log.all().filter((r) => r.method === 'PATCH' && r.mailbox === 'ann@contoso.com' && r.batchSeq !== undefined);
		expect(patches).toHaveLength(1);
		expect(env.graph.events('ann@contoso.com').filter((e) => e.subject === 'Twice posted')).toHaveLength(1);
	});
});
