import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import type { WebhookHost } from '../harness/webhook-host';
import type { RunResult } from '../harness/workflow-runner';
import { LN_KEY_PROPERTY, LN_OCCURRENCES_PROPERTY, LN_STATE_PROPERTY } from '../../lib/sync/link';
import { activePush, failedUsersOnly, scenarioEnvironment, shipped } from './workflow-helpers';

/**
 * A sync user writing our link properties onto events of her own calendar (issue 19, point 1): the
 * property names are public and a mailbox owner can set them through Graph, EWS or MAPI. Through the
 * shipped push and pull workflows, forged, unsigned and foreign links change nothing in LN and are
 * reported.
 */
const pull = shipped('pull-sync.json');
const push = shipped('push-sync.json');

type WithProps = Event & { singleValueExtendedProperties?: Array<{ id: string; value: string }> };

const ANN = 'ann@contoso.com';
const BOB = 'bob@contoso.com';
/** Zoe's meeting with Bob and Cat: Ann takes no part in it. */
const VICTIM = 'ACT000002';

let env: Awaited<ReturnType<typeof scenarioEnvironment>>;
let host: WebhookHost;

beforeEach(async () => {
	env = await scenarioEnvironment([pull, push]);
	await runPull();
	({ host } = await activePush(env, push));
});
afterEach(async () => {
	await host.deactivate();
	await host.stop();
	await env.stop();
});

async function runPull(): Promise<RunResult> {
	const result = await env.runner.run(pull, { startNode: 'Run now' });
	if (result.error) throw result.error;
	return result;
}

const graphTime = (d: DateTime) => ({ dateTime: d.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' });
const start = DateTime.utc().plus({ days: 4 }).set({ hour: 6, minute: 0, second: 0, millisecond: 0 });
const prop = (event: WithProps, id: string) => event.singleValueExtendedProperties?.find((p) => p.id?.toLowerCase() === id.toLowerCase())?.value;

/** What LN holds of the victim: fields, status and every attendee line. */
function victim(): string {
	const activity = env.ln.get('100', 'activities', { id: VICTIM })!;
	const lines = env.ln
		.list('100', 'attendees')
		.filter((a) => a.activity === VICTIM)
		.map((a) => `${a.email}:${a.role}:${a.invite}:${a.sentToSynchronizer}:${a.synchronized}:${a.status}`);
	return JSON.stringify({ subject: activity.subject, start: activity.start, end: activity.end, status: activity.status, reference: activity.reference, lines });
}

/** Every LN write that names the victim (its record or its attendee lines). */
const victimWrites = () => env.ln.log.all().filter((r) => r.method !== 'GET' && decodeURIComponent(r.path).includes(`'${VICTIM}'`));

it('forged, unsigned and foreign links on a sync user\'s own events change nothing in LN, by push or by pull, and are reported', async () => {
	const before = victim();
	// Bob's genuine, signed link to the victim, copied onto Ann's event: signed, but not for her item.
	const bobsCopy = (env.graph.events(BOB) as WithProps[]).find((e) => prop(e, LN_KEY_PROPERTY) === `ln:100:activity:${VICTIM}`)!;
	expect(bobsCopy).toBeDefined();
	const unsigned = env.graph.createEvent(ANN, {
		subject: 'Forged: unsigned',
		start: graphTime(start),
		end: graphTime(start.plus({ hours: 2 })),
		singleValueExtendedProperties: [
			{ id: LN_KEY_PROPERTY, value: `ln:100:activity:${VICTIM}` },
			{ id: LN_STATE_PROPERTY, value: `exchange|${'ab'.repeat(16)}|${Math.floor(Date.now() / 1000) - 86_400}` },
		],
	} as WithProps);
	const copied = env.graph.createEvent(ANN, {
		subject: 'Forged: copied signature',
		start: graphTime(start.plus({ hours: 3 })),
		end: graphTime(start.plus({ hours: 4 })),
		singleValueExtendedProperties: [
			{ id: LN_KEY_PROPERTY, value: prop(bobsCopy, LN_KEY_PROPERTY)! },
			{ id: LN_STATE_PROPERTY, value: prop(bobsCopy, LN_STATE_PROPERTY)!.replace(/^[a-z]+\|/, 'exchange|') },
		],
	} as WithProps);
	const series = env.graph.createEvent(ANN, {
		subject: 'Forged: series',
		start: graphTime(start.plus({ hours: 5 })),
		end: graphTime(start.plus({ hours: 6 })),
		recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: start.toISODate()!, numberOfOccurrences: 2, recurrenceTimeZone: 'UTC' } },
	});
	const [occurrence] = env.graph.occurrences(ANN, series.id!, Date.now(), Date.now() + 30 * 86_400_000);
	env.graph.updateEvent(ANN, series.id!, {
		singleValueExtendedProperties: [
			{ id: LN_KEY_PROPERTY, value: 'ln:100:series' },
			{ id: LN_OCCURRENCES_PROPERTY, value: JSON.stringify([[occurrence.iCalUId, occurrence.id, VICTIM, 'ab'.repeat(16)]]) },
		],
	} as WithProps);
	env.ln.log.clear();

	// Push: Graph tells the trigger about each forged event; then Ann edits them and deletes the occurrence.
	await env.graph.flushNotifications();
	await host.settle();
	env.graph.updateEvent(ANN, unsigned.id!, { subject: 'Forged: unsigned, moved', start: graphTime(start.plus({ days: 1 })), end: graphTime(start.plus({ days: 1, hours: 1 })) });
	env.graph.updateEvent(ANN, copied.id!, { isCancelled: true, subject: 'Forged: copied, cancelled' } as Event);
	env.graph.updateEvent(ANN, occurrence.id!, { subject: 'Forged: occurrence renamed' });
	await env.graph.flushNotifications();
	await host.settle();
	env.graph.deleteEvent(ANN, occurrence.id!);
	await env.graph.flushNotifications();
	await host.settle();
	const pushRuns = host.calls.filter((call) => call.run);
	expect(pushRuns.length).toBeGreaterThan(0);
	// A push that met a refused link ends in error naming the mailbox (the alert workflow tells the
	// administrator); nothing else fails.
	const failedPushes = pushRuns.filter((call) => call.run?.error);
	for (const call of failedPushes) {
		expect(failedUsersOnly(call.run!)).toBe(true);
		expect(call.run!.error!.message).toMatch(new RegExp(`^1 of 1 sync user failed: ${ANN} \\(data`));
	}
	expect(failedPushes.length).toBeGreaterThan(0);
	expect(victimWrites()).toEqual([]);
	expect(victim()).toBe(before);
	// The push says why it did nothing for each of them: the plan of the activity the links name.
	const pushed = pushRuns
		.flatMap((call) => call.run!.output('LN activity → Exchange').map((i) => i.json as { warnings?: string[] }))
		.flatMap((item) => item.warnings ?? [])
		.join('\n');
	expect(pushed).toMatch(new RegExp(`in ${ANN} \\("Forged: unsigned"\\) carries a link to LN activity ${VICTIM} that is not signed, .*; refused`));
	expect(pushed).toMatch(new RegExp(`in ${ANN} \\("Forged: copied signature"\\) carries a link to LN activity ${VICTIM} that does not match its signature, .*; refused`));
	expect(pushed).toMatch(new RegExp(`in ${ANN} \\("Forged: series"\\) carries a link to LN activity ${VICTIM} that is not signed, .*; refused`));
	// The occurrence's change was refused by LN's guard, and the forged link was not signed for it.
	const refusedOccurrence = pushRuns.flatMap((call) => call.run!.output('LN: update from occurrence', 1).map((i) => String(i.json.error)));
	expect(refusedOccurrence).toEqual([expect.stringMatching(new RegExp(`Activity ${VICTIM}: refused: ${ANN} is neither the meeting organizer nor an invited attendee`))]);
	expect(pushRuns.flatMap((call) => call.run!.output('Exchange: link occurrence'))).toEqual([]);

	// Pull: the same, and the run report names each refused link.
	const report = (await runPull()).output('Run report').map((i) => i.json as { mailbox: string; warnings: Array<{ message: string }>; skipped: Array<{ message: string }> });
	expect(victimWrites()).toEqual([]);
	expect(victim()).toBe(before);
	const ann = report.find((r) => r.mailbox === ANN)!;
	const said = [...ann.warnings, ...ann.skipped].map((l) => l.message).join('\n');
	expect(said).toMatch(new RegExp(`\\("Forged: unsigned, moved"\\) carries a link to LN activity ${VICTIM} that is not signed, .*; refused`));
	expect(said).toMatch(new RegExp(`\\("Forged: copied, cancelled"\\) carries a link to LN activity ${VICTIM} that does not match its signature, .*; refused`));
	// The forged single events did not become LN activities either; the untouched occurrence of her own
	// series is hers to synchronize, as any.
	expect(env.ln.list('100', 'activities').filter((a) => String(a.subject).startsWith('Forged')).map((a) => a.subject)).toEqual(['Forged: series']);
});
