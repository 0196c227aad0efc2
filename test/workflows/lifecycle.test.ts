import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import { advanceClock, useRealClock, useShiftableClock } from '../harness/clock';
import type { RunResult } from '../harness/workflow-runner';
import { scenarioEnvironment, shipped, writes } from './workflow-helpers';

/**
 * Everyday edit sequences after a first sync, each once broken (issue 15), as fixed regression cases:
 * the shipped pull workflow against both emulators, the mail Exchange would send counted.
 */
const pull = shipped('pull-sync.json');

type Env = Awaited<ReturnType<typeof scenarioEnvironment>>;
type WithProps = Event & { singleValueExtendedProperties?: Array<{ id: string; value: string }> };

const ANN = 'ann@contoso.com';
const BOB = 'bob@contoso.com';
const CAT = 'cat@contoso.com';
const ZOE = 'zoe@contoso.com';

let env: Env;
beforeEach(async () => {
	useShiftableClock();
	env = await scenarioEnvironment([pull]);
});
afterEach(async () => {
	await env.stop();
	useRealClock();
});

/** A pull, some minutes after the last one (links age as in real time). */
async function runPull(workflow = pull): Promise<RunResult> {
	advanceClock(5 * 60_000);
	const result = await env.runner.run(workflow, { startNode: 'Run now' });
	if (result.error) throw result.error;
	return result;
}

function report(result: RunResult, mailbox: string): Record<string, any> {
	return result.output('Run report').map((i) => i.json as Record<string, any>).find((r) => r.mailbox === mailbox)!;
}

const lines = (entry: Record<string, any>, kind: 'skipped' | 'warnings' | 'errors') => (entry[kind] as Array<{ message: string }>).map((l) => l.message).join('\n');

/** Pulls until a pull writes nothing (at most `max`), and returns how many it took. */
async function settle(max = 3): Promise<number> {
	for (let run = 1; run <= max; run++) {
		env.graph.log.clear();
		env.ln.log.clear();
		await runPull();
		const written = writes(env);
		if (written.graph.length === 0 && written.ln.length === 0) return run;
	}
	throw new Error(`still writing after ${max} pulls: ${JSON.stringify(writes(env))}`);
}

const mail = (since: number) => env.graph.messages(since).map((m) => `${m.kind}:${m.subject}>${m.to}`);
const mark = () => env.graph.messages().length;
const eventsOf = (mailbox: string, subject: string) => (env.graph.events(mailbox) as WithProps[]).filter((e) => e.subject === subject);
const attendeeLines = (activity: string) =>
	env.ln
		.list('100', 'attendees')
		.filter((a) => a.activity === activity)
		.map((a) => `${a.email}:${a.role}:invite=${a.invite}:sent=${a.sentToSynchronizer}:synced=${a.synchronized}:${a.status}`);
const graphTime = (d: DateTime) => ({ dateTime: d.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' });

it('1. a meeting from Exchange that its organizer deletes in Outlook cancels the LN appointment and is never re-created', async () => {
	await runPull();
	const appointment = env.ln.list('100', 'activities').find((a) => a.subject === 'Customer workshop')!;
	env.graph.deleteEvent(ANN, eventsOf(ANN, 'Customer workshop')[0].id!);
	const before = mark();
	await runPull();
	expect(env.ln.get('100', 'activities', { id: String(appointment.id) })?.status).toBe('Cancelled');
	expect(eventsOf(ANN, 'Customer workshop')).toEqual([]);
	expect(mail(before)).toEqual([]);
	expect(await settle()).toBe(1);
});

it('2. attendee lines of a meeting organized by someone who is not a sync user stay put run after run', async () => {
	const start = DateTime.utc().plus({ days: 3 }).set({ hour: 15, minute: 0, second: 0, millisecond: 0 });
	env.graph.createEvent(ZOE, {
		subject: 'Zoe invites',
		start: graphTime(start),
		end: graphTime(start.plus({ hours: 1 })),
		attendees: [{ emailAddress: { address: ANN }, type: 'required' }, { emailAddress: { address: BOB }, type: 'required' }],
	});
	await runPull();
	const appointment = env.ln.list('100', 'activities').find((a) => a.subject === 'Zoe invites')!;
	const first = attendeeLines(String(appointment.id));
	expect(first.filter((l) => l.startsWith(BOB))).toEqual([`${BOB}:Required:invite=Yes:sent=Yes:synced=Yes:None`]);
	expect(await settle()).toBe(1);
	expect(attendeeLines(String(appointment.id))).toEqual(first);
	expect(eventsOf(BOB, 'Zoe invites')).toHaveLength(1);
});

it('2b. the attendees of a meeting whose organizer stops being an active sync user keep their lines and copies', async () => {
	await runPull();
	env.ln.update('100', 'syncUsers', { user: 'ann' }, { active: 'No' });
	const before = mark();
	await runPull();
	const lines1 = attendeeLines('ACT000001');
	expect(await settle()).toBe(1);
	expect(attendeeLines('ACT000001')).toEqual(lines1);
	expect(lines1.find((l) => l.startsWith(BOB))).toBe(`${BOB}:Required:invite=Yes:sent=Yes:synced=Yes:None`);
	expect(eventsOf(BOB, 'Quarterly review')).toHaveLength(1);
	expect(mail(before)).toEqual([]);
});

it('3. an LN activity moved into the past is not a deletion: the meeting follows the move and nobody gets a cancellation', async () => {
	await runPull();
	const yesterday = DateTime.utc().minus({ days: 1 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
	env.ln.update('100', 'activities', { id: 'ACT000001' }, { start: yesterday.toISO({ suppressMilliseconds: true }), end: yesterday.plus({ hours: 1 }).toISO({ suppressMilliseconds: true }) });
	const before = mark();
	await runPull();
	expect(mail(before).filter((m) => m.startsWith('cancellation'))).toEqual([]);
	const [meeting] = eventsOf(ANN, 'Quarterly review');
	expect(meeting).toBeDefined();
	expect(DateTime.fromISO(`${meeting.start!.dateTime}Z`).toMillis()).toBe(yesterday.toMillis());
	expect(env.ln.get('100', 'activities', { id: 'ACT000001' })?.status).toBe('Planned');
	expect(await settle()).toBe(1);
});

it('4. a new organizer in LN: the old meeting is cancelled, the new organizer has the only meeting, LN points to it', async () => {
	await runPull();
	// Ann hands the meeting to Cat and stays invited.
	env.ln.update('100', 'attendees', { activity: 'ACT000001', sequence: 1 }, { role: 'Required', invite: 'Yes' });
	env.ln.insert('100', 'attendees', { activity: 'ACT000001', sequence: 4, role: 'MeetingOrganizer', type: 'Employee', code: 'E003', email: CAT, name: 'Cat Cole', invite: 'No', status: 'None', synchronized: 'No', sentToSynchronizer: 'No' });
	await settle(4);
	const organized = ['ann@contoso.com', BOB, CAT].flatMap((m) => eventsOf(m, 'Quarterly review').filter((e) => e.isOrganizer).map(() => m));
	expect(organized).toEqual([CAT]);
	const [meeting] = eventsOf(CAT, 'Quarterly review');
	expect(env.ln.get('100', 'activities', { id: 'ACT000001' })?.reference).toBe(meeting.iCalUId);
	expect(meeting.attendees?.map((a) => a.emailAddress?.address).sort()).toEqual([ANN, BOB, 'xena@fabrikam.com']);
	expect(eventsOf(ANN, 'Quarterly review').map((e) => e.iCalUId)).toEqual([meeting.iCalUId]);
});

it('5. an invite unticked after a sync cancels that attendee\'s copy and clears their flags', async () => {
	await runPull();
	env.ln.update('100', 'attendees', { activity: 'ACT000001', sequence: 2 }, { invite: 'No' });
	const before = mark();
	await runPull();
	expect(eventsOf(BOB, 'Quarterly review')).toEqual([]);
	expect(mail(before)).toEqual([`cancellation:Quarterly review>${BOB}`]);
	expect(attendeeLines('ACT000001').find((l) => l.startsWith(BOB))).toBe(`${BOB}:Required:invite=No:sent=No:synced=No:None`);
	expect(await settle()).toBe(1);
});

it('6. an Exchange event moved into the past takes its LN appointment along, then both are left alone', async () => {
	await runPull();
	const appointment = env.ln.list('100', 'activities').find((a) => a.subject === 'Customer workshop')!;
	const yesterday = DateTime.utc().minus({ days: 1 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
	env.graph.updateEvent(ANN, eventsOf(ANN, 'Customer workshop')[0].id!, { start: graphTime(yesterday), end: graphTime(yesterday.plus({ hours: 1 })) });
	await runPull();
	expect(env.ln.get('100', 'activities', { id: String(appointment.id) })?.start).toBe(yesterday.toISO({ suppressMilliseconds: true }));
	expect(await settle()).toBe(1);
});

it('7. an employee attendee counts as a sync user only when the employee\'s own e-mail is the sync e-mail', async () => {
	env.ln.update('100', 'syncUsers', { user: 'bob' }, { employeeEmail: 'robert.baker@contoso.com' });
	const result = await runPull();
	// Zoe is not a sync user: invited sync users get copies. Bob's employee e-mail is not his sync e-mail.
	expect(eventsOf(BOB, 'Zoe briefs the team')).toEqual([]);
	expect(eventsOf(CAT, 'Zoe briefs the team')).toHaveLength(1);
	expect(lines(report(result, BOB), 'warnings')).toMatch(/E002.*robert\.baker@contoso\.com.*bob@contoso\.com/);
});

it('8. direct copies for an organizer who is not a sync user come with the reason in the report', async () => {
	const result = await runPull();
	for (const mailbox of [BOB, CAT]) {
		expect(eventsOf(mailbox, 'Zoe briefs the team')).toHaveLength(1);
		expect(lines(report(result, mailbox), 'warnings')).toMatch(/ACT000002.*organizer.*E099.*not an active sync user.*own calendar/i);
	}
});

it('9. an appointment from a meeting with an outside organizer is written as LN accepts it, says so, and keeps following the meeting', async () => {
	const start = DateTime.utc().plus({ days: 4 }).set({ hour: 11, minute: 0, second: 0, millisecond: 0 });
	const created = env.graph.createEvent(ZOE, {
		subject: 'Outside organizer',
		start: graphTime(start),
		end: graphTime(start.plus({ hours: 1 })),
		attendees: [{ emailAddress: { address: ANN }, type: 'required' }],
	});
	const first = await runPull();
	const appointment = env.ln.list('100', 'activities').find((a) => a.subject === 'Outside organizer')!;
	// LN's Appointment session allows Synchronize only with a Meeting Organizer and an invited attendee.
	expect(appointment.synchronize).toBe('No');
	expect(attendeeLines(String(appointment.id)).some((l) => l.includes(':MeetingOrganizer:'))).toBe(false);
	expect(lines(report(first, ANN), 'warnings')).toMatch(/Outside organizer.*zoe@contoso\.com.*not a sync user.*Synchronize/);
	expect(await settle()).toBe(1);
	env.graph.updateEvent(ZOE, created.id!, { subject: 'Outside organizer (moved)' });
	await runPull();
	expect(env.ln.get('100', 'activities', { id: String(appointment.id) })?.subject).toBe('Outside organizer (moved)');
	expect(eventsOf(ANN, 'Outside organizer (moved)')).toHaveLength(1);
	expect(await settle()).toBe(1);
	// A solo appointment from Ann's calendar has no invitee: Synchronize stays No, and it still follows.
	const solo = env.ln.list('100', 'activities').filter((a) => a.subject === 'Weekly sync');
	expect(solo.length).toBeGreaterThan(0);
	expect(solo.every((a) => a.synchronize === 'No')).toBe(true);
});

it('10. contacts read with "Changed Since" never remove the unchanged ones', async () => {
	await runPull();
	const since = DateTime.utc().toISO();
	advanceClock(1000);
	const partial = JSON.parse(JSON.stringify(pull)) as typeof pull;
	// A tenant whose contact API has a modification date, read with "Changed Since".
	Object.assign(partial.nodes.find((n) => n.name === 'LN contacts')!.parameters, { changedSince: since, apiMapping: '{"contact": {"modifiedAt": "LastModifiedDate"}}' });
	env.ln.update('100', 'contacts', { id: 'C001' }, { jobTitle: 'Buyer' });
	await runPull(partial);
	expect(env.graph.contacts(ANN, 'LN Contacts').map((c) => c.displayName).sort()).toEqual(['Uma Fabrikam', 'Vera Fabrikam', 'Walt Fabrikam', 'Xena Fabrikam', 'Yuri Fabrikam']);
	expect(env.graph.contacts(ANN, 'LN Contacts').find((c) => c.displayName === 'Xena Fabrikam')?.jobTitle).toBe('Buyer');
	// Nothing changed since: an empty read is not "LN has no contacts".
	partial.nodes.find((n) => n.name === 'LN contacts')!.parameters.changedSince = DateTime.utc().plus({ minutes: 6 }).toISO();
	await runPull(partial);
	expect(env.graph.contacts(BOB, 'LN Contacts')).toHaveLength(5);
});

it('11. an attendee who invites people to a copy and then moves it keeps the move; they get no update from the sync (model seed 3001, path 117)', async () => {
	await runPull();
	const [copy] = eventsOf(BOB, 'Zoe briefs the team');
	env.graph.updateEvent(BOB, copy.id!, { attendees: [{ emailAddress: { address: 'xena@fabrikam.com' }, type: 'required' }] });
	const later = DateTime.fromISO(`${copy.start!.dateTime}Z`).plus({ hours: 2 });
	env.graph.updateEvent(BOB, copy.id!, { start: graphTime(later), end: graphTime(later.plus({ hours: 1 })) });
	const before = mark();
	const run = await runPull();
	expect(mail(before)).toEqual([]);
	expect(DateTime.fromISO(`${eventsOf(BOB, 'Zoe briefs the team')[0].start!.dateTime}Z`).toMillis()).toBe(later.toMillis());
	expect(env.ln.get('100', 'activities', { id: 'ACT000002' })?.start).not.toBe(later.toISO({ suppressMilliseconds: true }));
	expect(lines(report(run, BOB), 'warnings')).toMatch(/a copy of LN activity ACT000002, has attendees its owner invited; the owner's edits of start, end stay in Exchange/);
	expect(await settle()).toBe(1);
	// An LN edit still reaches the copy (that mail is asked for by the edit).
	env.ln.update('100', 'activities', { id: 'ACT000002' }, { subject: 'Zoe briefs the team (agenda)' });
	await runPull();
	expect(eventsOf(BOB, 'Zoe briefs the team (agenda)')).toHaveLength(1);
	expect(await settle()).toBe(1);
});
