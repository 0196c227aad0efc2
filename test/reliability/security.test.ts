import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';
import { LoggerProxy, type ICredentialTestFunctions, type ICredentialsDecrypted, type INodeCredentialTestResult } from 'n8n-workflow';

import { LN_WEBHOOK_HEADER, LN_WEBHOOK_SECRET, startEnvironment, type Environment } from '../harness/environment';
import { WebhookHost } from '../harness/webhook-host';
import type { RunResult } from '../harness/workflow-runner';
import { scenario } from '../workflows/scenario';
import { shipped, withSettings } from '../workflows/workflow-helpers';
import { InforLn } from '../../nodes/InforLn/InforLn.node';
import { MicrosoftExchange } from '../../nodes/MicrosoftExchange/MicrosoftExchange.node';
import { credentialTestContext } from '../helpers/n8n-http';

const pull = shipped('pull-sync.json');
const push = shipped('push-sync.json');
const now = DateTime.utc();
const SYNC_USERS = ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com'];

/**
 * Everything a value holds as text, Error properties (message, stack, cause, description, request
 * options…) included, since n8n stores and shows those too.
 */
function textOf(value: unknown, seen = new WeakSet<object>(), depth = 0): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'string') return value;
	if (typeof value !== 'object') return typeof value === 'function' ? '' : String(value);
	if (seen.has(value) || depth > 20) return '';
	seen.add(value);
	if (Buffer.isBuffer(value)) return value.toString('utf8');
	if (value instanceof Map) return [...value.entries()].map((e) => textOf(e, seen, depth + 1)).join('\n');
	if (value instanceof Set) return [...value].map((e) => textOf(e, seen, depth + 1)).join('\n');
	const keys = value instanceof Error ? Object.getOwnPropertyNames(value) : Object.keys(value);
	return keys.map((key) => `${key}=${textOf((value as Record<string, unknown>)[key], seen, depth + 1)}`).join('\n');
}

/** The secrets found in any of the texts, each named by what it is. */
function leaks(texts: string[], secrets: Map<string, string>): string[] {
	const found: string[] = [];
	for (const [secret, what] of secrets) {
		const where = texts.findIndex((text) => text.includes(secret));
		if (where >= 0) found.push(`${what} in: ${texts[where].slice(Math.max(0, texts[where].indexOf(secret) - 200), texts[where].indexOf(secret) + 60)}`);
	}
	return found;
}

async function credentialTest(
	node: { methods: { credentialTest: Record<string, (this: ICredentialTestFunctions, c: ICredentialsDecrypted) => Promise<INodeCredentialTestResult>> } },
	type: string,
	data: Record<string, unknown>,
): Promise<INodeCredentialTestResult> {
	const [test] = Object.values(node.methods.credentialTest);
	return test.call(credentialTestContext, { id: 'c1', name: 'test', type, data } as ICredentialsDecrypted);
}

describe('security: no secret anywhere, no other mailbox touched', () => {
	let env: Environment;
	let host: WebhookHost;
	const runs: RunResult[] = [];
	const texts: string[] = [];
	const secrets = new Map<string, string>();
	const logLines: string[] = [];

	beforeAll(async () => {
		const data = scenario(now);
		env = await startEnvironment({ lnSeed: data.lnSeed, graphSeed: data.graphSeed, nodes: 'dist', lnPageSize: 2, workflows: { [pull.id]: pull, [push.id]: push } });
		// Everything n8n would log, and anything written to the console, is kept.
		const log = (level: string) => (message: string, meta?: object) => logLines.push(`${level} ${message} ${textOf(meta)}`);
		LoggerProxy.init({ error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') } as never);
		for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
			jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void logLines.push(`console.${level} ${args.map((a) => textOf(a)).join(' ')}`));
		}
		const run = env.runner.run.bind(env.runner);
		env.runner.run = async (...args) => {
			const result = await run(...args);
			runs.push(result);
			return result;
		};

		// Pull twice, with changes on both sides between the runs.
		await env.runner.run(pull, { startNode: 'Run now' });
		env.ln.update('100', 'activities', { id: 'ACT000002' }, { location: 'Board room' });
		const start = now.plus({ days: 12 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
		const event: Event = {
			subject: 'New in Outlook',
			start: { dateTime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
			end: { dateTime: start.plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
			attendees: [{ emailAddress: { address: 'ann@contoso.com' }, type: 'required' }, { emailAddress: { address: 'zoe@contoso.com' }, type: 'required' }],
		};
		env.graph.createEvent('cat@contoso.com', event);
		await env.runner.run(pull, { startNode: 'Run now' });

		// Push: subscriptions, notifications, LN posts (good and bad), a forged notification.
		host = new WebhookHost(env.runner, push);
		await host.start();
		await host.activate();
		await env.runner.run(push, { startNode: 'Run now' });
		for (const subscription of (env.graph.state() as { subscriptions: Array<{ clientState?: string }> }).subscriptions) {
			if (subscription.clientState) secrets.set(subscription.clientState, 'a subscription clientState');
		}
		const review = env.graph.events('ann@contoso.com').find((e) => e.subject === 'Quarterly review')!;
		env.graph.updateEvent('ann@contoso.com', review.id!, { location: { displayName: 'Room 12' } });
		await env.graph.flushNotifications();
		await host.settle();
		const lnUrl = `${host.url}webhook/ln-exchange-sync/ln`;
		const graphUrl = `${host.url}webhook/ln-exchange-sync/graph`;
		const answers: Array<Promise<Response>> = [
			fetch(lnUrl, { method: 'POST', headers: { 'content-type': 'application/json', [LN_WEBHOOK_HEADER]: LN_WEBHOOK_SECRET }, body: JSON.stringify({ company: '100', activityId: 'ACT000002', changeType: 'updated' }) }),
			fetch(lnUrl, { method: 'POST', headers: { 'content-type': 'application/json', [LN_WEBHOOK_HEADER]: 'guess' }, body: JSON.stringify({ company: '100', activityId: 'ACT000002', changeType: 'updated' }) }),
			fetch(lnUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ company: '100', activityId: 'ACT000002', changeType: 'updated' }) }),
			fetch(graphUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: [{ subscriptionId: 'x', clientState: 'forged.state', changeType: 'updated', resource: 'Users/zoe@contoso.com/Events/1' }] }) }),
		];
		for (const answer of await Promise.all(answers)) texts.push(`${answer.status} ${[...answer.headers].join(' ')} ${await answer.text()}`);
		await host.settle();
		await host.deactivate();
		await host.stop();

		// Failures: a wrong Graph client secret, a wrong LN client secret, a mailbox the app may not access.
		const graphSecret = String(env.graphCredentialData.clientSecret);
		env.graphCredentialData.clientSecret = 'Wrong~Graph.secret-0123456789abcdefgh';
		secrets.set(String(env.graphCredentialData.clientSecret), 'a wrong Graph client secret typed by the user');
		await env.runner.run(pull, { startNode: 'Run now' });
		texts.push(textOf(await credentialTest(new MicrosoftExchange() as never, 'microsoftGraphAppOnlyApi', env.graphCredentialData)));
		env.graphCredentialData.clientSecret = graphSecret;
		texts.push(textOf(await credentialTest(new MicrosoftExchange() as never, 'microsoftGraphAppOnlyApi', env.graphCredentialData)));

		const ionapiSecretFile = String(env.lnCredentialData.ionapiSecretFile);
		const wrongIonapi = { ...JSON.parse(ionapiSecretFile), cs: 'Wrong-LN-client-secret-0123456789' };
		secrets.set(wrongIonapi.cs, 'a wrong LN client secret typed by the user');
		env.lnCredentialData.ionapiSecretFile = JSON.stringify(wrongIonapi);
		await env.runner.run(pull, { startNode: 'Run now' });
		texts.push(textOf(await credentialTest(new InforLn() as never, 'inforLnIonApi', env.lnCredentialData)));
		env.lnCredentialData.ionapiSecretFile = ionapiSecretFile.slice(0, -20);
		await env.runner.run(pull, { startNode: 'Run now' });
		texts.push(textOf(await credentialTest(new InforLn() as never, 'inforLnIonApi', env.lnCredentialData)));
		env.lnCredentialData.ionapiSecretFile = ionapiSecretFile;
		texts.push(textOf(await credentialTest(new InforLn() as never, 'inforLnIonApi', env.lnCredentialData)));

		env.graph.seed({ ...data.graphSeed, users: data.graphSeed.users!.map((u) => (u.mail === 'bob@contoso.com' ? { ...u, accessDenied: true } : u)) });
		await env.runner.run(pull, { startNode: 'Run now' });

		const ionapi = JSON.parse(ionapiSecretFile) as Record<string, string>;
		secrets.set(graphSecret, 'the Graph client secret');
		secrets.set(ionapi.cs, 'the LN client secret (cs)');
		secrets.set(ionapi.saak, 'the LN service account access key (saak)');
		secrets.set(ionapi.sask, 'the LN service account secret key (sask)');
		secrets.set(LN_WEBHOOK_SECRET, 'the LN webhook secret');
		for (const token of env.graph.issuedTokens()) secrets.set(token, 'a Graph access token');
		for (const token of env.ln.issuedTokens()) secrets.set(token, 'an LN token');

		for (const result of runs) texts.push(textOf(result.run), textOf(result.error));
		for (const call of host.calls) texts.push(`${call.status} ${call.responseBody ?? ''}`);
		for (const staticData of env.runner.staticData.values()) texts.push(textOf(staticData));
		texts.push(...logLines);
	}, 120_000);

	afterAll(async () => {
		jest.restoreAllMocks();
		await env?.stop();
	});

	it('exercised what it meant to: runs, failures, webhooks, tokens and clientStates', () => {
		expect(runs.length).toBeGreaterThanOrEqual(8);
		const errors = runs.map((r) => r.error?.message ?? '').join('\n') + texts.join('\n');
		expect(errors).toMatch(/AADSTS7000215|invalid_client|Invalid client secret/);
		expect(errors).toMatch(/ErrorAccessDenied/);
		expect(errors).toMatch(/ionapi/i);
		expect(host.calls.some((c) => c.status === 202)).toBe(true);
		expect([...secrets.values()].filter((w) => w === 'a subscription clientState')).toHaveLength(3);
		expect([...secrets.values()].filter((w) => w === 'a Graph access token').length).toBeGreaterThanOrEqual(2);
		expect([...secrets.values()].filter((w) => w === 'an LN token').length).toBeGreaterThanOrEqual(1);
		expect([...secrets.keys()].every((s) => s.length >= 16)).toBe(true);
		// The scan finds a secret where there is one.
		const [aToken] = [...secrets.entries()].find(([, what]) => what === 'a Graph access token')!;
		expect(leaks([...texts, `Authorization: Bearer ${aToken}`], secrets)).toHaveLength(1);
	});

	it('no secret appears in any node output, error, webhook answer, static data or log line', () => {
		expect(leaks(texts, secrets)).toEqual([]);
	});

	it("only the sync users' mailboxes were ever requested", () => {
		const requested = new Set(env.graph.log.all().map((r) => r.mailbox).filter(Boolean));
		expect([...requested].sort()).toEqual(SYNC_USERS);
		const paths = env.graph.log.all().map((r) => decodeURIComponent(`${r.path}?${r.query}`).toLowerCase());
		// Her address in any path or query (not "zoe" alone: a random delta token may hold those letters).
		expect(paths.filter((p) => p.includes('zoe@contoso.com'))).toEqual([]);
		// Zoe's calendar and contacts are as they were.
		expect(env.graph.contacts('zoe@contoso.com')).toEqual([]);
	});
});

describe('mass-change brake in the pull workflow', () => {
	const extra = 10;
	let env: Environment;

	beforeEach(async () => {
		const data = scenario(now);
		const company = data.lnSeed.companies['100'];
		const template = company.activities!.find((a) => a.Activity === 'ACT000001')!;
		for (let i = 0; i < extra; i++) {
			const start = now.plus({ days: 20 + i }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
			company.activities!.push({
				...JSON.parse(JSON.stringify(template)),
				Activity: `ACT0001${String(i).padStart(2, '0')}`,
				Subject: `Account review ${i}`,
				StartDate: start.toISO({ suppressMilliseconds: true }),
				EndDate: start.plus({ hours: 1 }).toISO({ suppressMilliseconds: true }),
			});
		}
		env = await startEnvironment({ lnSeed: data.lnSeed, graphSeed: data.graphSeed, nodes: 'dist', workflows: { [pull.id]: pull } });
		const first = await env.runner.run(pull, { startNode: 'Run now' });
		if (first.error) throw first.error;
		expect(env.graph.events('ann@contoso.com').filter((e) => e.subject?.startsWith('Account review'))).toHaveLength(extra);
	});
	afterEach(async () => {
		await env.stop();
	});

	const annReport = (result: RunResult) => result.output('Run report').map((i) => i.json as Record<string, any>).find((r) => r.mailbox === 'ann@contoso.com')!;
	const reviews = () => env.ln.list('100', 'activities').filter((a) => String(a.subject).startsWith('Account review'));

	it('LN cancelling most of a user\'s meetings stops, is reported, and goes through once confirmed', async () => {
		for (const activity of reviews().slice(0, 8)) env.ln.update('100', 'activities', { id: String(activity.id) }, { status: 'Cancelled' });
		const braked = await env.runner.run(pull, { startNode: 'Run now' });
		expect(braked.error).toBeUndefined();
		expect(env.graph.events('ann@contoso.com').filter((e) => e.subject?.startsWith('Account review') && !e.isCancelled)).toHaveLength(extra);
		const report = annReport(braked);
		expect(report.status).toBe('braked');
		expect(report.brake.join('\n')).toMatch(/8 of \d+ linked future events would be cancelled; nothing cancelled/);

		const confirmed = await env.runner.run(withSettings(pull, { brakeShare: 1 }), { startNode: 'Run now' });
		expect(confirmed.error).toBeUndefined();
		expect(annReport(confirmed).status).not.toBe('braked');
		// Cancelling removes the organizer's event, and Bob's invitations with it.
		const live = (mailbox: string) => env.graph.events(mailbox).filter((e) => e.subject?.startsWith('Account review') && !e.isCancelled);
		expect(live('ann@contoso.com')).toHaveLength(extra - 8);
		expect(live('bob@contoso.com')).toHaveLength(extra - 8);
	});

	it('most of a user\'s meetings deleted in Exchange while push is on: the push run brakes too', async () => {
		env.runner['options'].workflows![push.id] = push;
		const host = new WebhookHost(env.runner, push);
		await host.start();
		try {
			await host.activate();
			const keep = await env.runner.run(push, { startNode: 'Run now' });
			if (keep.error) throw keep.error;
			const events = env.graph.events('ann@contoso.com').filter((e) => e.subject?.startsWith('Account review'));
			// One deletion is ordinary work: it reaches LN by push.
			env.graph.deleteEvent('ann@contoso.com', events[0].id!);
			await env.graph.flushNotifications();
			await host.settle();
			expect(reviews().filter((a) => a.status === 'Cancelled')).toHaveLength(1);
			// Eight at once is not.
			for (const event of events.slice(1, 9)) env.graph.deleteEvent('ann@contoso.com', event.id!);
			await env.graph.flushNotifications();
			await host.settle();
			expect(reviews().filter((a) => a.status === 'Cancelled')).toHaveLength(1);
		} finally {
			await host.deactivate();
			await host.stop();
		}
	});

	it('most of a user\'s meetings deleted in Exchange: LN appointments are not cancelled until confirmed', async () => {
		const events = env.graph.events('ann@contoso.com').filter((e) => e.subject?.startsWith('Account review'));
		for (const event of events.slice(0, 8)) env.graph.deleteEvent('ann@contoso.com', event.id!);
		const braked = await env.runner.run(pull, { startNode: 'Run now' });
		expect(braked.error).toBeUndefined();
		expect(reviews().filter((a) => a.status === 'Cancelled')).toEqual([]);
		expect(annReport(braked).status).toBe('braked');

		await env.runner.run(withSettings(pull, { brakeShare: 1 }), { startNode: 'Run now' });
		expect(reviews().filter((a) => a.status === 'Cancelled')).toHaveLength(8);
	});
});
