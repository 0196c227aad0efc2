import type { Event } from '@microsoft/microsoft-graph-types';

import { LN_WEBHOOK_HEADER, LN_WEBHOOK_SECRET } from '../harness/environment';
import type { WebhookHost } from '../harness/webhook-host';
import { activePush, scenarioEnvironment, shipped, writes } from './workflow-helpers';

const pull = shipped('pull-sync.json');
const push = shipped('push-sync.json');

type WithProps = Event & { singleValueExtendedProperties?: Array<{ id: string; value: string }> };

describe('push sync', () => {
	let env: Awaited<ReturnType<typeof scenarioEnvironment>>;
	let host: WebhookHost;

	beforeEach(async () => {
		env = await scenarioEnvironment([pull, push]);
		const first = await env.runner.run(pull, { startNode: 'Run now' });
		if (first.error) throw first.error;
		// Run now: the maintenance path subscribes the LN sync users' calendars.
		const pushed = await activePush(env, push);
		host = pushed.host;
		expect(pushed.keep.output('Keep subscriptions').map((i) => `${i.json.mailbox}:${i.json.action}`).sort()).toEqual([
			'ann@contoso.com:created',
			'bob@contoso.com:created',
			'cat@contoso.com:created',
		]);
		env.graph.log.clear();
		env.ln.log.clear();
	});
	afterEach(async () => {
		await host.deactivate();
		await host.stop();
		await env.stop();
	});

	const annEvent = (subject: string) => (env.graph.events('ann@contoso.com') as WithProps[]).find((e) => e.subject === subject)!;
	const settled = async () => {
		await env.graph.flushNotifications();
		await host.settle();
	};
	const lnUrl = () => `${host.url}webhook/ln-exchange-sync/ln`;
	const post = (body: unknown, headers: Record<string, string> = { [LN_WEBHOOK_HEADER]: LN_WEBHOOK_SECRET }) =>
		fetch(lnUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

	it('synchronizes just the event that changed in Exchange', async () => {
		// An LN change that only the next pull (or an LN message) should carry.
		env.ln.update('100', 'activities', { id: 'ACT000004' }, { subject: 'Call moved in LN' });
		const workshop = env.ln.list('100', 'activities').find((a) => a.subject === 'Customer workshop')!;
		env.graph.updateEvent('ann@contoso.com', annEvent('Customer workshop').id!, { location: { displayName: 'Room 42' } });
		await settled();
		const runs = host.calls.filter((call) => call.run);
		expect(runs.length).toBeGreaterThan(0);
		for (const call of runs) expect(call.run?.error).toBeUndefined();
		expect(env.ln.get('100', 'activities', { id: String(workshop.id) })?.location).toBe('Room 42');
		expect(env.graph.events('cat@contoso.com').find((e) => e.subject?.startsWith('Call'))?.subject).toBe('Call with Ann');
		expect(writes(env).ln.filter((w) => w.includes('Activities'))).toEqual([`PATCH /ACME_TST/LN/lnapi/odata/txcom.exchangeSync/Activities('${workshop.id}')`]);
	});

	it('cancels the LN activity when its organizer deletes the meeting in Exchange', async () => {
		env.graph.deleteEvent('ann@contoso.com', annEvent('Quarterly review').id!);
		await settled();
		expect(env.ln.get('100', 'activities', { id: 'ACT000001' })?.status).toBe('Cancelled');
	});

	it('synchronizes the activity an authenticated LN message names', async () => {
		env.ln.update('100', 'activities', { id: 'ACT000001' }, { subject: 'Quarterly review (moved to Q3)' });
		const response = await post({ company: '100', activityId: 'ACT000001', changeType: 'updated' });
		expect(response.status).toBe(202);
		await host.settle();
		expect(annEvent('Quarterly review (moved to Q3)')).toBeDefined();
		expect(env.graph.events('bob@contoso.com').some((e) => e.subject === 'Quarterly review (moved to Q3)')).toBe(true);
	});

	it('refuses unauthenticated and malformed LN messages, and changes nothing', async () => {
		env.ln.update('100', 'activities', { id: 'ACT000001' }, { subject: 'Should not travel' });
		env.ln.log.clear();
		const noSecret = await post({ company: '100', activityId: 'ACT000001', changeType: 'updated' }, {});
		expect([401, 403]).toContain(noSecret.status);
		const wrongSecret = await post({ company: '100', activityId: 'ACT000001', changeType: 'updated' }, { [LN_WEBHOOK_HEADER]: 'guess' });
		expect([401, 403]).toContain(wrongSecret.status);
		for (const body of [{ company: '100', changeType: 'updated' }, { company: 'x', activityId: 'ACT000001', changeType: 'updated' }, { company: '100', activityId: "A'1", changeType: 'updated' }, 'not json']) {
			const malformed = await post(body);
			expect(malformed.status).toBe(400);
		}
		await host.settle();
		expect(env.graph.events('ann@contoso.com').some((e) => e.subject === 'Should not travel')).toBe(false);
		expect(writes(env)).toEqual({ graph: [], ln: [] });
		expect(env.ln.log.all()).toEqual([]);
	});
});
