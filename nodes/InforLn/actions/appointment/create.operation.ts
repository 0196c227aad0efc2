import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { DateTime } from 'luxon';

import type { LnApiMapping } from '../../../../lib/ln/contract';
import { activityBody, activityKeyPath, attendeeBody, odataString, toActivity } from '../../../../lib/ln/records';
import { LnApiError, type LnTransport } from '../../../../lib/ln/transport';
import { SUBJECT_MAX } from '../../../../lib/sync/canonical';
import { linkOriginOf, planAppointment, type AttendeeRecord, type FoundContact } from '../../../../lib/sync/appointment-plan';
import type { AppointmentPayload } from '../../../../lib/sync/exchange-plan';
import { guardFailure } from '../../../../lib/sync/guard';
import { lnFollowsMeeting } from '../../../../lib/sync/event-plan';
import type { LnActivity, SyncUser } from '../../../../lib/sync/model';
import { SyncUserIndex } from '../../../../lib/sync/sync-users';
import { ledgerFor } from '../../../../lib/sync/report';
import { isPastActivity, parseInstant } from '../../../../lib/sync/time';
import { dryRunProperty, syncUsersProperty } from '../../descriptions/common';
import { contactEmailsOf, contactsFor, findContactsByEmail, syncUsersOrRead } from '../../helpers/attendees';
import { forEachItem, parseJsonParameter } from '../../helpers/execute';
import { lnContext } from '../../transport';
import { outcomeOf } from '../../../shared/errors';

const show = { resource: ['appointment'], operation: ['create'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Appointment (JSON)',
		name: 'appointment',
		type: 'json',
		required: true,
		default: '={{ $json.appointment }}',
		description:
			'The appointment to create, as Microsoft Exchange → Event → Get Changes outputs it: subject, start, end, allDay, location, text, showTimeAs, reminder, reminderMinutes, sensitivity, reference (the iCalUId) and attendees [{email, name, role, status}]',
		displayOptions: { show },
	},
	{
		displayName: 'Mailbox',
		name: 'mailbox',
		type: 'string',
		default: '={{ $json.mailbox }}',
		description: 'The sync user whose calendar the event came from (for the run report)',
		displayOptions: { show },
	},
	syncUsersProperty('appointment', ['create']),
	{
		displayName: 'Update If It Exists',
		name: 'updateIfExists',
		type: 'boolean',
		default: true,
		description:
			'Whether an appointment that already exists with this reference gets the given content (otherwise it is returned unchanged)',
		displayOptions: { show },
	},
	dryRunProperty('appointment', ['create']),
];

function validate(input: Partial<AppointmentPayload>): string | undefined {
	if (!input.reference) return 'field reference (the Exchange iCalUId) is empty';
	if (!input.subject || String(input.subject).trim() === '') return 'field subject is empty';
	if (String(input.subject).length > SUBJECT_MAX) return `field subject has ${String(input.subject).length} characters (LN allows ${SUBJECT_MAX})`;
	try {
		const start = parseInstant(input.start, 'start');
		const end = parseInstant(input.end, 'end');
		if (end < start) return `field end (${input.end}) is before start (${input.start})`;
	} catch (error) {
		return `field ${(error as Error).message.includes('end') ? 'end' : 'start'}: ${(error as Error).message}`;
	}
	return undefined;
}

/** The first activity (lowest id) with this reference. */
async function findByReference(transport: LnTransport, mapping: LnApiMapping, company: string, reference: string): Promise<LnActivity | undefined> {
	return (await findByReferences(transport, mapping, company, [reference])).get(reference);
}

/** The first activity (lowest id) with each of these references, read in one request. */
async function findByReferences(transport: LnTransport, mapping: LnApiMapping, company: string, references: string[]): Promise<Map<string, LnActivity>> {
	const s = mapping.services;
	const found = new Map<string, LnActivity>();
	if (references.length === 0) return found;
	const url = transport.url(s.syncService, s.activityEntitySet, {
		$filter: references.map((reference) => `${mapping.activity.reference} eq ${odataString(reference)}`).join(' or '),
		$expand: s.activityAttendeesNavigation,
		$orderby: mapping.activity.id,
	});
	for (const raw of await transport.getAll(url)) {
		const activity = toActivity(raw, mapping, company);
		if (activity.reference && !found.has(activity.reference)) found.set(activity.reference, activity);
	}
	return found;
}

/** What an appointment needs read from LN before it is written. */
interface LnReads {
	contacts: Map<string, FoundContact>;
	found: LnActivity | undefined;
}

/** Items whose reads are made together: one request for their references, one per 15 of their e-mails. */
const READ_AHEAD_ITEMS = 15;

/**
 * The reads of a node run's appointments, made for a chunk of items at once when its first item starts,
 * instead of two or more requests per item (a first sync creates thousands). What an item sees is as
 * fresh as its chunk: a few round trips older than a read of its own. Only the first item of a reference
 * uses them; a later one with the same reference comes after it (the items of one reference run in
 * order) and reads for itself.
 */
class ReadAhead {
	private readonly chunkOfItem = new Map<number, number[]>();
	private readonly reads = new Map<number[], Promise<Map<number, LnReads>>>();

	constructor(
		firstOfReference: number[],
		private readonly read: (itemIndexes: number[]) => Promise<Map<number, LnReads>>,
	) {
		for (let start = 0; start < firstOfReference.length; start += READ_AHEAD_ITEMS) {
			const chunk = firstOfReference.slice(start, start + READ_AHEAD_ITEMS);
			for (const i of chunk) this.chunkOfItem.set(i, chunk);
		}
	}

	/** The reads of item `i`, or undefined when it reads for itself. */
	async of(i: number): Promise<LnReads | undefined> {
		const chunk = this.chunkOfItem.get(i);
		if (!chunk) return undefined;
		let reads = this.reads.get(chunk);
		if (!reads) {
			reads = this.read(chunk);
			this.reads.set(chunk, reads);
		}
		const result = (await reads).get(i);
		this.chunkOfItem.delete(i);
		if (chunk.every((j) => !this.chunkOfItem.has(j))) this.reads.delete(chunk);
		return result;
	}
}

/** POST that survives a lost answer: when the outcome is unknown, look before sending again. */
async function createOnce<T>(attempt: () => Promise<T>, lookup: () => Promise<T | undefined>): Promise<T> {
	const first = await outcomeOf(attempt());
	if (first.ok) return first.value;
	if (!(first.error instanceof LnApiError) || first.error.status !== 0) throw first.error;
	return (await lookup()) ?? attempt();
}

async function addAttendees(
	transport: LnTransport,
	mapping: LnApiMapping,
	activityId: string,
	records: AttendeeRecord[],
	existing: LnActivity['attendees'],
): Promise<number> {
	const s = mapping.services;
	// One line per person: an existing line with the same e-mail stands, whatever its type.
	const have = new Set(existing.map((a) => (a.email ?? '').toLowerCase()));
	let added = 0;
	for (const record of records) {
		if (have.has(record.email.toLowerCase())) continue;
		const url = transport.url(s.syncService, `${activityKeyPath(mapping, activityId)}/${s.activityAttendeesNavigation}`);
		const body = attendeeBody(
			{
				role: record.role,
				type: record.type,
				code: record.code,
				name: record.name,
				email: record.email,
				status: record.status,
				invite: record.invite,
				synchronized: record.synchronized,
				sentToSynchronizer: record.sentToSynchronizer,
			},
			mapping,
		);
		await createOnce(
			() => transport.create(url, body),
			async () => {
				const current = await transport.getAll(url);
				return current.some((a) => String(a[mapping.attendee.email] ?? '').toLowerCase() === record.email.toLowerCase())
					? { data: {} }
					: undefined;
			},
		);
		added++;
	}
	return added;
}

interface ItemInput {
	appointment: Partial<AppointmentPayload>;
	mailbox: string;
	syncUsers: SyncUser[];
	users: SyncUserIndex;
	dryRun: boolean;
}

/**
 * An LN appointment for an event that originated in Exchange, with its attendees linked.
 * Idempotent: the Exchange iCalUId is the activity's reference, and an existing activity with it is
 * returned (and updated) instead of creating a second one.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const { transport, mapping, company, concurrency } = await lnContext.call(this);
	const ledger = ledgerFor(this.getExecutionId());
	const items = this.getInputData();
	const referenceOf = (i: number) => String((items[i].json.appointment as IDataObject | undefined)?.reference ?? items[i].json.iCalUId ?? `#${i}`);
	let syncUsersRead: Promise<SyncUser[]> | undefined;
	const inputs = new Map<number, ItemInput>();
	// Each item's parameters, parsed once (the read-ahead needs them before the item starts).
	const inputOf = async (i: number): Promise<ItemInput> => {
		let input = inputs.get(i);
		if (!input) {
			const appointment = parseJsonParameter<Partial<AppointmentPayload>>(this.getNodeParameter('appointment', i), 'Appointment') ?? {};
			const mailbox = String(this.getNodeParameter('mailbox', i, '') ?? '');
			const givenUsers = parseJsonParameter<SyncUser[]>(this.getNodeParameter('syncUsers', i, '[]'), 'Sync Users') ?? [];
			// Read from LN once for the node run when an item gives none.
			const syncUsers = givenUsers.length > 0 ? givenUsers : await (syncUsersRead ??= syncUsersOrRead(transport, mapping, []));
			input = { appointment, mailbox, syncUsers, users: new SyncUserIndex(syncUsers), dryRun: this.getNodeParameter('dryRun', i, false) as boolean };
			inputs.set(i, input);
		}
		return input;
	};
	const firstOfReference = new Map<string, number>();
	items.forEach((_, i) => {
		if (!firstOfReference.has(referenceOf(i))) firstOfReference.set(referenceOf(i), i);
	});
	const readAhead = new ReadAhead([...firstOfReference.values()], async (itemIndexes) => {
		const wanted = new Map<number, ItemInput>();
		for (const i of itemIndexes) {
			// An item whose parameters are wrong fails on its own, when it starts.
			const input = await outcomeOf(inputOf(i));
			if (input.ok && !input.value.dryRun && !validate(input.value.appointment)) wanted.set(i, input.value);
		}
		const emailsOf = new Map([...wanted].map(([i, input]) => [i, contactEmailsOf(input.appointment.attendees ?? [], input.users)]));
		const [contacts, found] = await Promise.all([
			findContactsByEmail(transport, mapping, [...new Set([...emailsOf.values()].flat())]),
			findByReferences(transport, mapping, company, [...new Set([...wanted.values()].map((input) => String(input.appointment.reference)))]),
		]);
		const reads = new Map<number, LnReads>();
		for (const [i, input] of wanted) {
			const mine = new Map<string, FoundContact>();
			for (const email of emailsOf.get(i)!) {
				const contact = contacts.get(email);
				if (contact) mine.set(email, contact);
			}
			reads.set(i, { contacts: mine, found: found.get(String(input.appointment.reference)) });
		}
		return reads;
	});
	return forEachItem(
		this,
		(i) => `Appointment for Exchange event ${referenceOf(i)}`,
		async (i) => {
			const { appointment: input, mailbox, syncUsers, users, dryRun } = await inputOf(i);
			inputs.delete(i);
			const problem = validate(input);
			const ref = `event ${input.reference ?? '?'}${mailbox ? ` in ${mailbox}` : ''}`;
			if (problem) throw new Error(`Exchange event "${input.subject ?? ''}" (${ref}): ${problem}`);
			const payload = { ...input, mailbox: input.mailbox ?? mailbox, attendees: input.attendees ?? [] } as AppointmentPayload;
			const passThrough = { ...items[i].json };
			delete passThrough.appointment;
			const ahead = dryRun ? undefined : await readAhead.of(i);
			// The two reads do not depend on each other: one round trip less for every appointment.
			const [contacts, found] = dryRun
				? [new Map<string, FoundContact>(), undefined]
				: ahead
					? [ahead.contacts, ahead.found]
					: await Promise.all([contactsFor(transport, mapping, payload.attendees, users), findByReference(transport, mapping, company, payload.reference)]);
			const plan = planAppointment(payload, syncUsers, contacts);
			if (dryRun) {
				ledger.plan(mailbox, ref, `create LN appointment "${plan.fields.subject}" with ${plan.attendees.length} attendees`);
				// A placeholder id lets the planned link that follows show what it would store.
				return { ...passThrough, company, activity: '(planned)', dryRun: true, action: 'create', linkOrigin: linkOriginOf(payload, true), request: { method: 'POST', entitySet: mapping.services.activityEntitySet, body: activityBody(plan.fields, mapping) } };
			}
			for (const warning of plan.warnings) ledger.warn(mailbox, ref, warning);
			const s = mapping.services;
			let activity = found;
			// Made from this event: now, or by a run that stopped before adding its attendees.
			const madeFromThisEvent = !activity || activity.attendees.length === 0;
			let action = 'existing';
			if (!activity) {
				const created = await createOnce(
					async () => toActivity((await transport.create(transport.url(s.syncService, s.activityEntitySet), activityBody(plan.fields, mapping))).data, mapping, company),
					() => findByReference(transport, mapping, company, payload.reference),
				);
				activity = { ...created, attendees: created.attendees ?? [] };
				action = 'created';
				ledger.count(mailbox, 'lnAppointmentsCreated');
			} else {
				// An appointment with this reference exists: only a mailbox whose user takes part in it may change
				// it (one without any attendee yet is ours, from a run that stopped before adding them).
				const refused = madeFromThisEvent ? undefined : guardFailure(activity, { mailbox, iCalUId: payload.reference, scope: 'activity' }, users);
				if (refused) throw new Error(`refused: ${refused}`);
				if (isPastActivity(activity, DateTime.utc())) {
					// A past record is never changed, whatever its Exchange event (still future) says.
					ledger.skip(mailbox, `activity ${activity.id}`, 'the LN activity is in the past: the Exchange event is not written to it');
					return { ...passThrough, company, activity: activity.id, action: 'past', attendeesAdded: 0, warnings: plan.warnings };
				}
				if (!lnFollowsMeeting(activity)) {
					// Nothing is written or linked: the meeting stays out of LN until LN's user sets Synchronize.
					ledger.skip(mailbox, `activity ${activity.id}`, `Synchronize is not set in LN: the Exchange meeting "${plan.fields.subject}" is not taken into it`);
					return undefined;
				}
				if (this.getNodeParameter('updateIfExists', i, true)) {
					const changes: Record<string, unknown> = {};
					for (const [name, value] of Object.entries(plan.fields)) {
						if (name === 'status' || name === 'synchronize' || name === 'type') continue;
						if (String((activity as unknown as Record<string, unknown>)[name] ?? '') !== String(value ?? '')) changes[name] = value;
					}
					if (Object.keys(changes).length > 0) {
						await transport.update(transport.url(s.syncService, activityKeyPath(mapping, activity.id)), activityBody(changes, mapping), activity.etag);
						action = 'updated';
						ledger.count(mailbox, 'lnActivitiesUpdated');
					}
				}
			}
			const added = await addAttendees(transport, mapping, activity.id, plan.attendees, activity.attendees);
			if (action === 'existing' && added > 0) action = 'updated';
			// Other invited sync users' runs decide whether the meeting is in their calendars: checked again.
			const others = plan.attendees.filter((a) => a.type === 'Employee' && a.invite).map((a) => a.email.toLowerCase()).filter((email) => email !== mailbox.toLowerCase() && users.isSyncMailbox(email));
			if (action !== 'existing') ledger.checkAgain(mailbox, others);
			return { ...passThrough, company, activity: activity.id, action, linkOrigin: linkOriginOf(payload, madeFromThisEvent), attendeesAdded: added, warnings: plan.warnings };
		},
		// One Exchange meeting is created in LN once, whichever mailboxes brought it.
		{ limit: concurrency, keyOf: referenceOf },
	);
}
