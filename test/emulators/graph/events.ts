import type { Event, PatternedRecurrence } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import { GraphError, badRequest, invalidRequest, itemNotFound, readOnlyProperty, unknownProperty } from './errors';
import {
	decodeId,
	derivedChangeKey,
	encodeId,
	newChangeKey,
	newICalUId,
	newKey,
	occurrenceICalUId,
	type ItemRef,
} from './ids';
import { evaluateFilter, readsOnlyExtended, type Expr, type Json } from './odata';
import { expand, normalizeRecurrence, type Occurrence } from './recurrence';
import {
	applyExtended,
	extendedList,
	sameExtendedId,
	type ChangeSink,
	type EventRecord,
	type Mailbox,
	type StoredAttendee,
	type StoredTime,
	type Store,
} from './store';
import { formatInstant, formatWallClock, parseDateTimeTimeZone } from './timezones';

/**
 * Calendar events: creation (with transactionId), meetings with attendee copies, responses,
 * cancellation, recurring series with occurrences and exceptions, and their Graph representation.
 */

export interface RenderOptions {
	immutable: boolean;
	timeZone?: { name: string; iana: string };
	bodyText: boolean;
	/** Extended properties to include: those matching a filter, all (`true`), or none. */
	extended?: Expr | true;
}

/** Something calendarView can show: a stored item, or an occurrence computed from its master. */
export type Instance =
	| { kind: 'record'; record: EventRecord }
	| { kind: 'occurrence'; master: EventRecord; ts: number; startMs: number; endMs: number };

const EVENT_TYPE = 'Microsoft.OutlookServices.Event';

/** Properties a client may set. */
const WRITABLE = new Set([
	'subject', 'body', 'start', 'end', 'location', 'locations', 'attendees', 'categories', 'sensitivity', 'showAs',
	'importance', 'isAllDay', 'isReminderOn', 'reminderMinutesBeforeStart', 'responseRequested', 'recurrence',
	'singleValueExtendedProperties', 'transactionId', 'allowNewTimeProposals', 'hideAttendees', 'isOnlineMeeting',
	'onlineMeetingProvider', 'isCancelled',
]);

/** Properties of the event type a client may not set: ignored on create, 400 on PATCH. */
const READ_ONLY = new Set([
	'id', 'iCalUId', 'uid', 'changeKey', 'createdDateTime', 'lastModifiedDateTime', 'type', 'seriesMasterId',
	'isOrganizer', 'responseStatus', 'webLink', 'bodyPreview', 'hasAttachments', 'originalStartTimeZone',
	'originalEndTimeZone', 'originalStart', 'isDraft', 'occurrenceId', 'onlineMeetingUrl', 'onlineMeeting',
	'cancelledOccurrences', 'exceptionOccurrences', 'organizer', 'calendar', 'instances', 'attachments', 'extensions',
	'multiValueExtendedProperties',
]);

/** Plain properties kept in `props`. */
const PLAIN = [
	'subject', 'location', 'locations', 'categories', 'sensitivity', 'showAs', 'importance', 'isReminderOn',
	'reminderMinutesBeforeStart', 'responseRequested', 'allowNewTimeProposals', 'hideAttendees', 'isOnlineMeeting',
	'onlineMeetingProvider', 'isCancelled',
];

/** What the organizer's updates carry to attendee copies. */
const PROPAGATED = ['subject', 'location', 'locations', 'sensitivity', 'importance', 'isOnlineMeeting', 'onlineMeetingProvider', 'allowNewTimeProposals', 'hideAttendees', 'responseRequested', 'isCancelled'];

const ENUMS: Record<string, string[]> = {
	sensitivity: ['normal', 'personal', 'private', 'confidential'],
	showAs: ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'],
	importance: ['low', 'normal', 'high'],
	onlineMeetingProvider: ['unknown', 'teamsForBusiness', 'skypeForBusiness', 'skypeForConsumer'],
};
const BOOLEANS = ['isAllDay', 'isReminderOn', 'responseRequested', 'allowNewTimeProposals', 'hideAttendees', 'isOnlineMeeting', 'isCancelled'];
const NO_TIME = '0001-01-01T00:00:00Z';
const MAX_ATTENDEES = 500;

const RESPONSE_OF: Record<string, string> = {
	accept: 'accepted',
	tentativelyAccept: 'tentativelyAccepted',
	decline: 'declined',
};

export type EventResponse = 'accept' | 'tentativelyAccept' | 'decline';

/**
 * A mail Exchange sends because of a calendar write: a meeting request, an update or a
 * cancellation from the organizer to an attendee (any address, inside the tenant or not), or an
 * attendee's response to the organizer.
 */
export interface MeetingMessage {
	seq: number;
	kind: 'invitation' | 'update' | 'cancellation' | 'response';
	from: string;
	to: string;
	/** The iCalUId of what the message is about: the meeting, or the occurrence of a series. */
	iCalUId: string;
	/** For a message about an occurrence: the iCalUId of its series. */
	seriesICalUId?: string;
	subject: string;
	/** Original start (ISO) of the occurrence a message is about; absent for the whole meeting. */
	occurrence?: string;
}

export class EventService {
	/** While seeding: no change notifications and no mail. */
	silent = false;
	/** Every mail Exchange would have sent, in order. */
	readonly outbox: MeetingMessage[] = [];
	private readonly expansions = new WeakMap<EventRecord, { key: string; upTo: number; list: Occurrence[] }>();

	constructor(
		private readonly store: Store,
		private readonly now: () => number,
		private readonly emit: ChangeSink,
	) {}

	// -------------------------------------------------------------------------------------------
	// Ids and lookup
	// -------------------------------------------------------------------------------------------

	refOf(inst: Instance): ItemRef {
		if (inst.kind === 'occurrence') return { kind: 'occurrence', key: inst.master.key, ts: inst.ts };
		const rec = inst.record;
		if (rec.type === 'exception') return { kind: 'occurrence', key: rec.masterKey!, ts: rec.originalStartMs! };
		return { kind: 'event', key: rec.key };
	}

	idOf(box: Mailbox, ref: ItemRef, immutable: boolean): string {
		return encodeId(ref, box.user.tag, immutable);
	}

	/** The instance an id names in this mailbox; 400 for a malformed id, 404 when not there. */
	resolve(box: Mailbox, id: string): Instance {
		const decoded = decodeId(id);
		if (!decoded) throw new GraphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
		if (!decoded.mailboxTag.equals(box.user.tag)) throw itemNotFound();
		const inst = this.resolveRef(box, decoded.ref);
		if (!inst) throw itemNotFound();
		return inst;
	}

	resolveRef(box: Mailbox, ref: ItemRef): Instance | undefined {
		if (ref.kind === 'event') {
			const rec = box.events.get(ref.key);
			return rec && rec.type !== 'exception' ? { kind: 'record', record: rec } : undefined;
		}
		if (ref.kind !== 'occurrence' || ref.ts === undefined) return undefined;
		const master = box.events.get(ref.key);
		if (!master || master.type !== 'seriesMaster') return undefined;
		const excKey = master.exceptions.get(ref.ts);
		if (excKey) {
			const exc = box.events.get(excKey);
			return exc ? { kind: 'record', record: exc } : undefined;
		}
		if (master.cancelled.has(ref.ts)) return undefined;
		const occ = this.occurrenceAt(master, ref.ts);
		return occ ? { kind: 'occurrence', master, ts: ref.ts, startMs: occ.startMs, endMs: occ.endMs } : undefined;
	}

	private occurrenceAt(master: EventRecord, ts: number): Occurrence | undefined {
		return this.occurrences(master, ts, ts + 1).find((o) => o.startMs === ts);
	}

	/**
	 * Occurrences of a series overlapping [from, to). Expansions are cached per master until it
	 * changes: resolving many occurrence ids would otherwise expand the series again each time.
	 */
	private occurrences(master: EventRecord, from: number, to: number): Occurrence[] {
		const key = `${master.changeKey}|${master.start.ms}|${master.end.ms}|${master.isAllDay}|${JSON.stringify(master.recurrence)}`;
		let cached = this.expansions.get(master);
		if (!cached || cached.key !== key || cached.upTo < to) {
			const upTo = Math.max(to, cached?.key === key ? cached.upTo : to);
			cached = { key, upTo, list: expand(master.recurrence!, timing(master), -Infinity, upTo) };
			this.expansions.set(master, cached);
		}
		return cached.list.filter((o) => overlaps(o.startMs, o.endMs, from, to));
	}

	etagOf(inst: Instance): string {
		return inst.kind === 'record' ? inst.record.changeKey : derivedChangeKey(inst.master.changeKey, inst.ts);
	}

	// -------------------------------------------------------------------------------------------
	// Queries
	// -------------------------------------------------------------------------------------------

	/** `/events`: single items and series masters, in creation order. */
	list(box: Mailbox): Instance[] {
		return [...box.events.values()]
			.filter((r) => r.type !== 'exception')
			.sort((a, b) => a.seq - b.seq)
			.map((record) => ({ kind: 'record', record }));
	}

	/** calendarView: single items, occurrences and exceptions overlapping [from, to); never masters. */
	view(box: Mailbox, from: number, to: number, onlyMaster?: EventRecord): Instance[] {
		const result: Instance[] = [];
		for (const rec of box.events.values()) {
			if (onlyMaster && rec !== onlyMaster && rec.masterKey !== onlyMaster.key) continue;
			if (rec.type === 'singleInstance' || rec.type === 'exception') {
				if (overlaps(rec.start.ms, rec.end.ms, from, to)) result.push({ kind: 'record', record: rec });
			} else {
				for (const occ of this.occurrences(rec, from, to)) {
					if (rec.cancelled.has(occ.startMs) || rec.exceptions.has(occ.startMs)) continue;
					result.push({ kind: 'occurrence', master: rec, ts: occ.startMs, startMs: occ.startMs, endMs: occ.endMs });
				}
			}
		}
		return result.sort((a, b) => startOf(a) - startOf(b) || seqOf(a) - seqOf(b));
	}

	/** Every stored item (single, master, exception) — the direct-access view. */
	stored(box: Mailbox): Instance[] {
		return [...box.events.values()].sort((a, b) => a.seq - b.seq).map((record) => ({ kind: 'record', record }));
	}

	matches(box: Mailbox, inst: Instance, filter: Expr, opts: RenderOptions): boolean {
		// A look-up by extended property reads nothing else: the rest of the event is not rendered for it.
		const view = readsOnlyExtended(filter) ? this.extendedView(inst) : this.render(box, inst, { ...opts, extended: true });
		return evaluateFilter(filter, view, { resolve: (item, path) => getPathCI(item, path), sameExtendedId });
	}

	// -------------------------------------------------------------------------------------------
	// Create
	// -------------------------------------------------------------------------------------------

	/** POST …/events as the mailbox owner. `replayed` when a transactionId replay returned the existing event. */
	create(box: Mailbox, body: unknown): { instance: Instance; replayed: boolean } {
		const input = asObject(body);
		checkProperties(input, 'create');
		const transactionId = input.transactionId;
		const fingerprint = canonicalJson(input);
		if (transactionId !== undefined && transactionId !== null) {
			if (typeof transactionId !== 'string') throw badRequest("The property 'transactionId' must be a string.", 'RequestBodyRead');
			const known = box.transactions.get(transactionId);
			const existing = known && box.events.get(known.key);
			if (known && existing) {
				if (known.fingerprint === fingerprint) return { instance: { kind: 'record', record: existing }, replayed: true };
				throw new GraphError(400, 'ErrorDuplicateTransactionId',
					`Your request can't be completed. The transaction id '${transactionId}' has already been used to create a different event.`);
			}
		}
		validatePlain(input);
		if (input.start === undefined || input.end === undefined) {
			throw invalidRequest("Your request can't be completed. The start and end of the event must be specified.");
		}
		const start = toStored(parseDateTimeTimeZone(input.start, 'start'));
		const end = toStored(parseDateTimeTimeZone(input.end, 'end'));
		const isAllDay = input.isAllDay === true;
		validateTimes(start, end, isAllDay);
		const attendees = normalizeAttendees(input.attendees);
		const recurrence = input.recurrence ? normalizeRecurrence(input.recurrence as PatternedRecurrence, start.zoneName) : undefined;
		const nowMs = this.now();
		const record: EventRecord = {
			key: newKey(),
			mailbox: box.user.mailLower,
			seq: this.store.nextSeq(),
			type: recurrence ? 'seriesMaster' : 'singleInstance',
			props: defaults(),
			body: toBody(input.body),
			start,
			end,
			isAllDay,
			recurrence,
			attendees,
			organizer: { name: box.user.displayName, address: box.user.mail },
			isOrganizer: true,
			responseStatus: { response: 'organizer', time: NO_TIME },
			iCalUId: newICalUId(nowMs),
			changeKey: newChangeKey(),
			createdMs: nowMs,
			lastModifiedMs: nowMs,
			ext: new Map(),
			transactionId: typeof transactionId === 'string' ? transactionId : undefined,
			copies: new Map(),
			cancelled: new Set(),
			exceptions: new Map(),
		};
		for (const name of PLAIN) if (input[name] !== undefined) record.props[name] = clone(input[name]);
		applyExtended(record.ext, input.singleValueExtendedProperties);
		box.events.set(record.key, record);
		if (record.transactionId) box.transactions.set(record.transactionId, { key: record.key, fingerprint });
		this.changed(record, 'created');
		if (record.attendees.length) {
			this.mail(record, 'invitation', record.attendees);
			this.syncCopies(record, { resend: true, timeChanged: false, seriesReset: false });
		}
		return { instance: { kind: 'record', record }, replayed: false };
	}

	// -------------------------------------------------------------------------------------------
	// Update
	// -------------------------------------------------------------------------------------------

	update(box: Mailbox, id: string, body: unknown): Instance {
		const inst = this.resolve(box, id);
		const changes = asObject(body);
		checkProperties(changes, 'update');
		validatePlain(changes);
		const isOccurrence = inst.kind === 'occurrence' || inst.record.type === 'exception';
		if (isOccurrence && changes.recurrence !== undefined) {
			throw invalidRequest("Your request can't be completed. The recurrence of an occurrence or exception can't be changed.");
		}
		// Work out the new times first: a rejected PATCH changes nothing.
		const base = inst.kind === 'occurrence' ? inst.master : inst.record;
		const oldStart: StoredTime = { ...base.start, ms: startOf(inst) };
		const oldEnd: StoredTime = { ...base.end, ms: endOf(inst) };
		const start = changes.start !== undefined ? toStored(parseDateTimeTimeZone(changes.start, 'start')) : oldStart;
		const end = changes.end !== undefined ? toStored(parseDateTimeTimeZone(changes.end, 'end')) : oldEnd;
		const isAllDay = changes.isAllDay !== undefined ? changes.isAllDay === true : base.isAllDay;
		validateTimes(start, end, isAllDay);
		const attendees = changes.attendees !== undefined ? normalizeAttendees(changes.attendees, base.attendees) : undefined;
		const recurrence = changes.recurrence !== undefined && changes.recurrence !== null
			? normalizeRecurrence(changes.recurrence as PatternedRecurrence, start.zoneName)
			: undefined;
		if (changes.singleValueExtendedProperties !== undefined) applyExtended(new Map(), changes.singleValueExtendedProperties);

		const record = inst.kind === 'occurrence' ? this.materializeException(box, inst.master, inst.ts) : inst.record;
		// What attendees saw of this item: an occurrence as itself, not its series (no recurrence).
		const contentBefore = meetingContent(record, oldStart.ms, oldEnd.ms);
		const attendeesBefore = record.attendees.map((a) => a.emailAddress.address.toLowerCase());
		const timeChanged = start.ms !== record.start.ms || end.ms !== record.end.ms || isAllDay !== record.isAllDay;
		record.start = start;
		record.end = end;
		record.isAllDay = isAllDay;
		for (const name of PLAIN) if (changes[name] !== undefined) record.props[name] = clone(changes[name]);
		if (changes.body !== undefined) record.body = toBody(changes.body);
		applyExtended(record.ext, changes.singleValueExtendedProperties);
		if (attendees) record.attendees = attendees;
		let seriesReset = false;
		if (record.type === 'seriesMaster' && (recurrence || timeChanged)) {
			if (recurrence) record.recurrence = recurrence;
			seriesReset = true;
			this.resetSeries(box, record);
		}
		if (changes.recurrence === null && record.type === 'seriesMaster') {
			// Removing the recurrence turns the series into a single item.
			this.resetSeries(box, record);
			record.type = 'singleInstance';
			record.recurrence = undefined;
			seriesReset = true;
		} else if (recurrence && record.type === 'singleInstance') {
			record.type = 'seriesMaster';
			record.recurrence = recurrence;
		}
		if (timeChanged && record.isOrganizer) {
			// A new time asks everyone again.
			for (const a of record.attendees) a.status = { response: 'none', time: NO_TIME };
		}
		this.touch(record);
		this.changed(record, 'updated');
		const contentChanged = meetingContent(record, record.start.ms, record.end.ms) !== contentBefore;
		const attendeesAfter = new Set(record.attendees.map((a) => a.emailAddress.address.toLowerCase()));
		const added = record.attendees.filter((a) => !attendeesBefore.includes(a.emailAddress.address.toLowerCase()));
		const removed = attendeesBefore.filter((address) => !attendeesAfter.has(address));
		if (record.isOrganizer && (contentChanged || added.length || removed.length)) {
			// Exchange tells attendees only what concerns them: an attendees-only change reaches only
			// those added or removed; a change of what they see reaches everyone; a change of the
			// organizer's own properties (reminder, show-as, extended properties) reaches nobody.
			const occurrence = record.type === 'exception' ? record.originalStartMs : undefined;
			const about = record.type === 'exception' ? box.events.get(record.masterKey!)! : record;
			this.mail(about, 'invitation', added, occurrence);
			this.mail(about, 'cancellation', removed.map((address) => ({ emailAddress: { address } })), occurrence);
			if (contentChanged) this.mail(about, 'update', record.attendees.filter((a) => !added.includes(a)), occurrence);
			if (record.type === 'exception') {
				const master = box.events.get(record.masterKey!)!;
				this.mirrorException(master, record, timeChanged);
				this.syncOccurrenceOnlyCopies(record, master, contentChanged, new Set(added.map((a) => a.emailAddress.address.toLowerCase())));
			} else {
				this.syncCopies(record, { resend: contentChanged, timeChanged, seriesReset, added: new Set(added.map((a) => a.emailAddress.address.toLowerCase())) });
			}
		}
		return { kind: 'record', record };
	}

	/** Turns an occurrence into an exception item (same id), copying the master. */
	private materializeException(box: Mailbox, master: EventRecord, ts: number): EventRecord {
		const occ = this.occurrenceAt(master, ts);
		if (!occ) throw itemNotFound();
		const nowMs = this.now();
		const record: EventRecord = {
			...cloneRecord(master),
			key: newKey(),
			seq: this.store.nextSeq(),
			type: 'exception',
			start: { ...master.start, ms: occ.startMs },
			end: { ...master.end, ms: occ.endMs },
			recurrence: undefined,
			iCalUId: occurrenceICalUId(master.iCalUId, ts),
			changeKey: newChangeKey(),
			createdMs: nowMs,
			lastModifiedMs: nowMs,
			transactionId: undefined,
			copies: new Map(),
			cancelled: new Set(),
			exceptions: new Map(),
			masterKey: master.key,
			originalStartMs: ts,
		};
		box.events.set(record.key, record);
		master.exceptions.set(ts, record.key);
		this.touch(master);
		this.changed(master, 'updated');
		return record;
	}

	/** Drops exceptions and cancellations (the series' times or pattern changed). */
	private resetSeries(box: Mailbox, master: EventRecord): void {
		for (const key of master.exceptions.values()) box.events.delete(key);
		master.exceptions.clear();
		master.cancelled.clear();
	}

	// -------------------------------------------------------------------------------------------
	// Delete, cancel, respond
	// -------------------------------------------------------------------------------------------

	/** DELETE: the item (an occurrence: only that occurrence); an organizer's meeting takes the copies along. */
	remove(box: Mailbox, id: string): void {
		const inst = this.resolve(box, id);
		this.removeInstance(box, inst);
	}

	/** POST …/cancel: organizer only. */
	cancel(box: Mailbox, id: string): void {
		const inst = this.resolve(box, id);
		const owner = inst.kind === 'occurrence' ? inst.master : inst.record;
		if (!owner.isOrganizer) {
			throw invalidRequest("Your request can't be completed. You need to be an organizer to cancel a meeting.");
		}
		this.removeInstance(box, inst);
	}

	private removeInstance(box: Mailbox, inst: Instance): void {
		const owner = inst.kind === 'occurrence' ? inst.master : inst.record.type === 'exception' ? box.events.get(inst.record.masterKey!)! : inst.record;
		if (owner.isOrganizer) {
			// Deleting a meeting as its organizer cancels it, as POST …/cancel does.
			const occurrence = inst.kind === 'occurrence' ? inst.ts : inst.record.type === 'exception' ? inst.record.originalStartMs : undefined;
			const attendees = inst.kind === 'record' && inst.record.type === 'exception' ? inst.record.attendees : owner.attendees;
			this.mail(owner, 'cancellation', attendees, occurrence);
		}
		if (inst.kind === 'occurrence') {
			this.cancelOccurrence(box, inst.master, inst.ts, inst.master.isOrganizer);
			return;
		}
		const rec = inst.record;
		if (rec.type === 'exception') {
			const master = box.events.get(rec.masterKey!)!;
			this.cancelOccurrence(box, master, rec.originalStartMs!, master.isOrganizer);
			return;
		}
		this.deleteRecord(box, rec);
		if (rec.isOrganizer) {
			for (const [mail, key] of rec.copies) {
				const copyBox = this.store.mailbox(mail);
				const copy = copyBox.events.get(key);
				if (copy) this.deleteRecord(copyBox, copy);
			}
			rec.copies.clear();
		} else if (rec.organizerLink) {
			const org = this.organizerOf(rec);
			org?.copies.delete(box.user.mailLower);
		}
	}

	private deleteRecord(box: Mailbox, rec: EventRecord): void {
		for (const key of rec.exceptions.values()) {
			const exc = box.events.get(key);
			if (exc?.isOrganizer) this.removeCopies(exc);
			box.events.delete(key);
		}
		box.events.delete(rec.key);
		this.changed(rec, 'deleted');
	}

	/** Removes one occurrence of a series (and, for the organizer, of every attendee copy). */
	private cancelOccurrence(box: Mailbox, master: EventRecord, ts: number, propagate: boolean): void {
		const ref: ItemRef = { kind: 'occurrence', key: master.key, ts };
		const excKey = master.exceptions.get(ts);
		const changeKey = excKey ? box.events.get(excKey)?.changeKey ?? master.changeKey : derivedChangeKey(master.changeKey, ts);
		if (excKey) {
			const exc = box.events.get(excKey);
			if (exc) this.removeCopies(exc);
			box.events.delete(excKey);
		}
		master.exceptions.delete(ts);
		master.cancelled.add(ts);
		this.emitRef(box, ref, 'deleted', changeKey);
		this.touch(master);
		this.changed(master, 'updated');
		if (!propagate) return;
		for (const [mail, key] of master.copies) {
			const copyBox = this.store.mailbox(mail);
			const copy = copyBox.events.get(key);
			if (copy && !copy.cancelled.has(ts)) this.cancelOccurrence(copyBox, copy, ts, false);
		}
	}

	/** accept / tentativelyAccept / decline by an attendee. */
	respond(box: Mailbox, id: string, response: EventResponse, body: unknown): void {
		const input = (body && typeof body === 'object' ? body : {}) as { sendResponse?: unknown; comment?: unknown };
		const inst = this.resolve(box, id);
		const owner = inst.kind === 'occurrence' ? inst.master : inst.record.type === 'exception' ? box.events.get(inst.record.masterKey!)! : inst.record;
		if (owner.isOrganizer) {
			throw invalidRequest("Your request can't be completed. You can't respond to this meeting because you're the meeting organizer.");
		}
		const status = { response: RESPONSE_OF[response], time: formatInstant(this.now()) };
		const occurrenceLevel = inst.kind === 'occurrence' || (inst.kind === 'record' && inst.record.type === 'exception');
		if (occurrenceLevel) {
			// A response to one occurrence changes only that occurrence of the attendee's copy.
			const ts = inst.kind === 'occurrence' ? inst.ts : inst.record.originalStartMs!;
			if (response === 'decline') {
				this.cancelOccurrence(box, owner, ts, false);
				return;
			}
			const exc = inst.kind === 'record' ? inst.record : this.materializeException(box, owner, ts);
			exc.responseStatus = status;
			exc.props.showAs = response === 'accept' ? 'busy' : 'tentative';
			this.touch(exc);
			this.changed(exc, 'updated');
			return;
		}
		const rec = owner;
		if (response === 'decline') {
			this.deleteRecord(box, rec);
		} else {
			rec.responseStatus = status;
			rec.props.showAs = response === 'accept' ? 'busy' : 'tentative';
			this.touch(rec);
			this.changed(rec, 'updated');
		}
		if (input.sendResponse === false) return;
		const org = this.organizerOf(rec);
		this.record({ kind: 'response', from: box.user.mailLower, to: rec.organizer.address.toLowerCase(), iCalUId: rec.iCalUId, subject: String(rec.props.subject ?? '') });
		if (!org) return;
		const attendee = org.attendees.find((a) => a.emailAddress.address.toLowerCase() === box.user.mailLower);
		if (attendee) attendee.status = { ...status };
		if (response === 'decline') org.copies.delete(box.user.mailLower);
		this.touch(org);
		this.changed(org, 'updated');
	}

	private organizerOf(copy: EventRecord): EventRecord | undefined {
		if (!copy.organizerLink || !this.store.hasMailbox(copy.organizerLink.mailbox)) return undefined;
		return this.store.mailbox(copy.organizerLink.mailbox).events.get(copy.organizerLink.key);
	}

	// -------------------------------------------------------------------------------------------
	// Mail
	// -------------------------------------------------------------------------------------------

	/** The organizer's mail about a meeting (or one of its occurrences) to each of the given attendees. */
	private mail(meeting: EventRecord, kind: MeetingMessage['kind'], to: Array<{ emailAddress: { address: string } }>, occurrenceMs?: number): void {
		for (const attendee of to) {
			const address = attendee.emailAddress.address.toLowerCase();
			if (address === meeting.mailbox) continue;
			this.record({
				kind,
				from: meeting.mailbox,
				to: address,
				iCalUId: occurrenceMs !== undefined ? occurrenceICalUId(meeting.iCalUId, occurrenceMs) : meeting.iCalUId,
				subject: String(meeting.props.subject ?? ''),
				...(occurrenceMs !== undefined ? { occurrence: formatInstant(occurrenceMs), seriesICalUId: meeting.iCalUId } : {}),
			});
		}
	}

	private record(message: Omit<MeetingMessage, 'seq'>): void {
		if (this.silent) return;
		this.outbox.push({ seq: this.outbox.length + 1, ...message });
	}

	// -------------------------------------------------------------------------------------------
	// Attendee copies
	// -------------------------------------------------------------------------------------------

	/** Attendees no longer on a meeting (or its occurrence) lose their copy. */
	private dropCopiesNotIn(record: EventRecord, wanted: Set<string>): void {
		for (const [mail, key] of [...record.copies]) {
			if (wanted.has(mail)) continue;
			const copyBox = this.store.mailbox(mail);
			const copy = copyBox.events.get(key);
			if (copy) this.deleteRecord(copyBox, copy);
			record.copies.delete(mail);
		}
	}

	/**
	 * Brings the attendees' copies in line with the organizer's item: new tenant attendees get a
	 * copy, removed ones lose it, the others get the organizer's changes (a new time resets their
	 * response). With `resend` false (an attendees-only change) only new attendees are invited.
	 */
	private syncCopies(org: EventRecord, opts: { resend: boolean; timeChanged: boolean; seriesReset: boolean; added?: Set<string> }): void {
		const wanted = new Set<string>();
		for (const a of org.attendees) {
			const mail = a.emailAddress.address.toLowerCase();
			if (mail === org.mailbox || !this.store.hasMailbox(mail)) continue;
			if (a.status.response === 'declined') continue;
			wanted.add(mail);
		}
		this.dropCopiesNotIn(org, wanted);
		for (const mail of wanted) {
			const copyBox = this.store.mailbox(mail);
			const key = org.copies.get(mail);
			const copy = key ? copyBox.events.get(key) : undefined;
			if (!copy) {
				// Only a request reaches a calendar: an attendee who deleted the meeting gets it back from an
				// update of what attendees see, not from a change that only adds someone else.
				if (!opts.resend && !(opts.added?.has(mail) ?? true)) continue;
				this.makeCopy(org, mail);
				continue;
			}
			if (!opts.resend) {
				copy.attendees = cloneAttendees(org.attendees);
				this.touch(copy);
				this.changed(copy, 'updated');
				continue;
			}
			for (const name of PROPAGATED) {
				if (org.props[name] === undefined) delete copy.props[name];
				else copy.props[name] = clone(org.props[name]);
			}
			copy.body = { ...org.body };
			copy.start = { ...org.start };
			copy.end = { ...org.end };
			copy.isAllDay = org.isAllDay;
			copy.type = org.type;
			copy.recurrence = org.recurrence ? clone(org.recurrence) : undefined;
			copy.attendees = cloneAttendees(org.attendees);
			if (opts.seriesReset) this.resetSeries(copyBox, copy);
			if (opts.timeChanged) {
				copy.responseStatus = { response: 'notResponded', time: NO_TIME };
				copy.props.showAs = 'tentative';
			}
			this.touch(copy);
			this.changed(copy, 'updated');
		}
	}

	/** Removes the copies an item sent to attendees (an exception's copies for those invited to that occurrence only). */
	private removeCopies(rec: EventRecord): void {
		for (const [mail, key] of rec.copies) {
			const copyBox = this.store.mailbox(mail);
			const copy = copyBox.events.get(key);
			if (copy) this.deleteRecord(copyBox, copy);
		}
		rec.copies.clear();
	}

	/**
	 * Someone invited to one occurrence only (not to the series) gets that occurrence as an item of its
	 * own in their calendar, with the occurrence's iCalUId; taken off it, they lose it.
	 */
	private syncOccurrenceOnlyCopies(exc: EventRecord, master: EventRecord, resend: boolean, added: Set<string>): void {
		const wanted = new Set<string>();
		for (const a of exc.attendees) {
			const mail = a.emailAddress.address.toLowerCase();
			if (mail === exc.mailbox || !this.store.hasMailbox(mail) || master.copies.has(mail) || a.status.response === 'declined') continue;
			wanted.add(mail);
		}
		this.dropCopiesNotIn(exc, wanted);
		for (const mail of wanted) {
			const copyBox = this.store.mailbox(mail);
			const key = exc.copies.get(mail);
			const copy = key ? copyBox.events.get(key) : undefined;
			if (!copy) {
				if (!resend && !added.has(mail)) continue;
				this.makeCopy(exc, mail, 'singleInstance');
				continue;
			}
			if (!resend) continue;
			for (const name of PROPAGATED) copy.props[name] = clone(exc.props[name]);
			copy.body = { ...exc.body };
			copy.start = { ...exc.start };
			copy.end = { ...exc.end };
			copy.isAllDay = exc.isAllDay;
			copy.attendees = cloneAttendees(exc.attendees);
			this.touch(copy);
			this.changed(copy, 'updated');
		}
	}

	private makeCopy(org: EventRecord, mail: string, type: EventRecord['type'] = org.type): EventRecord {
		const copyBox = this.store.mailbox(mail);
		const nowMs = this.now();
		const props: Json = { ...defaults(), showAs: 'tentative' };
		for (const name of PROPAGATED) if (org.props[name] !== undefined) props[name] = clone(org.props[name]);
		const copy: EventRecord = {
			key: newKey(),
			mailbox: mail,
			seq: this.store.nextSeq(),
			type,
			props,
			body: { ...org.body },
			start: { ...org.start },
			end: { ...org.end },
			isAllDay: org.isAllDay,
			recurrence: org.recurrence ? clone(org.recurrence) : undefined,
			attendees: cloneAttendees(org.attendees),
			organizer: { ...org.organizer },
			isOrganizer: false,
			responseStatus: { response: 'notResponded', time: NO_TIME },
			// The same meeting in every calendar: same iCalUId, own id, no extended properties.
			iCalUId: org.iCalUId,
			changeKey: newChangeKey(),
			createdMs: nowMs,
			lastModifiedMs: nowMs,
			ext: new Map(),
			copies: new Map(),
			organizerLink: { mailbox: org.mailbox, key: org.key },
			cancelled: new Set(org.cancelled),
			exceptions: new Map(),
		};
		copyBox.events.set(copy.key, copy);
		org.copies.set(mail, copy.key);
		this.changed(copy, 'created');
		const orgBox = this.store.mailbox(org.mailbox);
		for (const excKey of org.exceptions.values()) {
			const exc = orgBox.events.get(excKey);
			if (exc) this.mirrorException(org, exc, false, mail);
		}
		return copy;
	}

	/** Carries an organizer's exception to the attendees' copies of the series. */
	private mirrorException(orgMaster: EventRecord, orgExc: EventRecord, timeChanged: boolean, onlyMail?: string): void {
		for (const [mail, key] of orgMaster.copies) {
			if (onlyMail && mail !== onlyMail) continue;
			const copyBox = this.store.mailbox(mail);
			const copyMaster = copyBox.events.get(key);
			const ts = orgExc.originalStartMs!;
			if (!copyMaster || copyMaster.cancelled.has(ts)) continue;
			const excKey = copyMaster.exceptions.get(ts);
			const exc = (excKey && copyBox.events.get(excKey)) || this.materializeException(copyBox, copyMaster, ts);
			for (const name of PROPAGATED) {
				if (orgExc.props[name] === undefined) delete exc.props[name];
				else exc.props[name] = clone(orgExc.props[name]);
			}
			exc.body = { ...orgExc.body };
			exc.start = { ...orgExc.start };
			exc.end = { ...orgExc.end };
			exc.isAllDay = orgExc.isAllDay;
			exc.attendees = cloneAttendees(orgExc.attendees);
			if (timeChanged) {
				exc.responseStatus = { response: 'notResponded', time: NO_TIME };
				exc.props.showAs = 'tentative';
			}
			this.touch(exc);
			this.changed(exc, 'updated');
		}
	}

	// -------------------------------------------------------------------------------------------
	// Change tracking
	// -------------------------------------------------------------------------------------------

	private touch(rec: EventRecord): void {
		rec.changeKey = newChangeKey();
		rec.lastModifiedMs = Math.max(this.now(), rec.lastModifiedMs);
	}

	private changed(rec: EventRecord, changeType: 'created' | 'updated' | 'deleted'): void {
		const box = this.store.mailbox(rec.mailbox);
		this.emitRef(box, this.refOf({ kind: 'record', record: rec }), changeType, rec.changeKey);
	}

	private emitRef(box: Mailbox, ref: ItemRef, changeType: 'created' | 'updated' | 'deleted', changeKey: string): void {
		if (this.silent) return;
		this.emit({ mailbox: box.user.mailLower, userId: box.user.id, resource: 'events', ref, changeType, changeKey });
	}

	// -------------------------------------------------------------------------------------------
	// Representation
	// -------------------------------------------------------------------------------------------

	render(box: Mailbox, inst: Instance, opts: RenderOptions): Json {
		const ref = this.refOf(inst);
		const rec = inst.kind === 'record' ? inst.record : inst.master;
		const master = inst.kind === 'occurrence' ? inst.master : rec.type === 'exception' ? box.events.get(rec.masterKey!) : undefined;
		const type = inst.kind === 'occurrence' ? 'occurrence' : rec.type;
		const changeKey = this.etagOf(inst);
		const id = this.idOf(box, ref, opts.immutable);
		const startMs = startOf(inst);
		const endMs = endOf(inst);
		const out: Json = {
			'@odata.etag': `W/"${changeKey}"`,
			id,
			createdDateTime: formatInstant(rec.createdMs),
			lastModifiedDateTime: formatInstant(rec.lastModifiedMs),
			changeKey,
			categories: clone(rec.props.categories ?? []),
			transactionId: inst.kind === 'record' && rec.type !== 'exception' ? rec.transactionId ?? null : null,
			originalStartTimeZone: rec.start.zoneName,
			originalEndTimeZone: rec.end.zoneName,
			iCalUId: type === 'occurrence' || type === 'exception' ? occurrenceICalUId((master ?? rec).iCalUId, ref.ts!) : rec.iCalUId,
			reminderMinutesBeforeStart: rec.props.reminderMinutesBeforeStart,
			isReminderOn: rec.props.isReminderOn,
			hasAttachments: false,
			subject: rec.props.subject ?? '',
			bodyPreview: preview(rec.body.text),
			importance: rec.props.importance,
			sensitivity: rec.props.sensitivity,
			isAllDay: rec.isAllDay,
			isCancelled: rec.props.isCancelled ?? false,
			isOrganizer: rec.isOrganizer,
			responseRequested: rec.props.responseRequested,
			seriesMasterId: master ? this.idOf(box, { kind: 'event', key: master.key }, opts.immutable) : null,
			showAs: rec.props.showAs,
			type,
			webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
			onlineMeetingUrl: null,
			isOnlineMeeting: rec.props.isOnlineMeeting,
			onlineMeetingProvider: rec.props.onlineMeetingProvider,
			allowNewTimeProposals: rec.props.allowNewTimeProposals,
			occurrenceId: null,
			isDraft: false,
			hideAttendees: rec.props.hideAttendees,
		};
		if (ref.ts !== undefined) out.originalStart = formatInstant(ref.ts);
		out.responseStatus = { ...rec.responseStatus };
		out.body = opts.bodyText ? { contentType: 'text', content: rec.body.text } : { contentType: 'html', content: rec.body.html };
		out.start = this.renderTime(startMs, rec.start, rec.isAllDay, opts);
		out.end = this.renderTime(endMs, rec.end, rec.isAllDay, opts);
		out.location = renderLocation(rec.props.location);
		out.locations = Array.isArray(rec.props.locations)
			? (rec.props.locations as unknown[]).map(renderLocation)
			: (out.location as { displayName: string }).displayName ? [out.location] : [];
		out.recurrence = type === 'seriesMaster' && rec.recurrence ? clone(rec.recurrence) : null;
		out.attendees = cloneAttendees(rec.attendees);
		out.organizer = { emailAddress: { ...rec.organizer } };
		out.onlineMeeting = null;
		if (opts.extended !== undefined) {
			const source = inst.kind === 'occurrence' ? inst.master.ext : rec.ext;
			const list = extendedList(source).filter((p) =>
				opts.extended === true ||
				evaluateFilter(opts.extended as Expr, p as unknown as Json, {
					resolve: (item, path) => getPathCI(item, path),
					sameExtendedId,
					extendedIdAtRoot: true,
				}),
			);
			if (list.length) out.singleValueExtendedProperties = list;
		}
		return out;
	}

	/** An event as a filter on its extended properties sees it (render gives the list only when it is not empty). */
	private extendedView(inst: Instance): Json {
		const list = extendedList(inst.kind === 'occurrence' ? inst.master.ext : inst.record.ext);
		return list.length ? { singleValueExtendedProperties: list } : {};
	}

	/** calendarView/delta gives occurrences with only these properties. */
	renderMinimal(box: Mailbox, inst: Instance, opts: RenderOptions): Json {
		const full = this.render(box, inst, opts);
		return {
			'@odata.type': '#microsoft.graph.event',
			'@odata.etag': full['@odata.etag'],
			id: full.id,
			seriesMasterId: full.seriesMasterId,
			type: full.type,
			start: full.start,
			end: full.end,
		};
	}

	private renderTime(ms: number, stored: StoredTime, isAllDay: boolean, opts: RenderOptions): { dateTime: string; timeZone: string } {
		const zone = opts.timeZone ?? { name: 'UTC', iana: 'UTC' };
		if (isAllDay) {
			// All-day items float: the same calendar date whatever zone the client asks for.
			const date = DateTime.fromMillis(ms, { zone: stored.iana }).toFormat('yyyy-MM-dd');
			return { dateTime: `${date}T00:00:00.0000000`, timeZone: zone.name };
		}
		return { dateTime: formatWallClock(ms, zone.iana), timeZone: zone.name };
	}

	/** The Graph `Event` shape of an instance (for the direct-access API). */
	toEvent(box: Mailbox, inst: Instance, opts: RenderOptions): Event {
		return this.render(box, inst, opts) as Event;
	}
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** What attendees see of a meeting: a change of it sends them an update. */
function meetingContent(rec: EventRecord, startMs: number, endMs: number): string {
	const seen: Json = { startMs, endMs, isAllDay: rec.isAllDay, body: rec.body.text, recurrence: rec.recurrence ?? null };
	for (const name of PROPAGATED) seen[name] = rec.props[name] ?? null;
	return canonicalJson(seen);
}

function timing(rec: EventRecord): { startMs: number; endMs: number; isAllDay: boolean } {
	return { startMs: rec.start.ms, endMs: rec.end.ms, isAllDay: rec.isAllDay };
}

function overlaps(start: number, end: number, from: number, to: number): boolean {
	return start < to && (end > from || (start >= from && start === end));
}

export function startOf(inst: Instance): number {
	return inst.kind === 'occurrence' ? inst.startMs : inst.record.start.ms;
}

export function endOf(inst: Instance): number {
	return inst.kind === 'occurrence' ? inst.endMs : inst.record.end.ms;
}

function seqOf(inst: Instance): number {
	return inst.kind === 'occurrence' ? inst.master.seq : inst.record.seq;
}

function toStored(parsed: { ms: number; zoneName: string; iana: string }): StoredTime {
	return { ms: parsed.ms, zoneName: parsed.zoneName, iana: parsed.iana };
}

function defaults(): Json {
	return {
		categories: [],
		sensitivity: 'normal',
		showAs: 'busy',
		importance: 'normal',
		isReminderOn: true,
		reminderMinutesBeforeStart: 15,
		responseRequested: true,
		allowNewTimeProposals: true,
		hideAttendees: false,
		isOnlineMeeting: false,
		onlineMeetingProvider: 'unknown',
		isCancelled: false,
	};
}

function asObject(body: unknown): Json {
	if (!body || typeof body !== 'object' || Array.isArray(body)) {
		throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
	}
	return body as Json;
}

function checkProperties(input: Json, mode: 'create' | 'update'): void {
	for (const key of Object.keys(input)) {
		if (key.startsWith('@')) continue;
		if (mode === 'update' && key === 'transactionId') throw readOnlyProperty(key);
		if (WRITABLE.has(key)) continue;
		if (READ_ONLY.has(key)) {
			if (mode === 'update') throw readOnlyProperty(key);
			continue;
		}
		throw unknownProperty(key, EVENT_TYPE);
	}
}

function validatePlain(input: Json): void {
	for (const [name, allowed] of Object.entries(ENUMS)) {
		const value = input[name];
		if (value !== undefined && value !== null && !allowed.includes(String(value))) {
			throw badRequest(`Requested value '${String(value)}' was not found.`, 'RequestBodyRead');
		}
	}
	for (const name of BOOLEANS) {
		if (input[name] !== undefined && input[name] !== null && typeof input[name] !== 'boolean') {
			throw badRequest(`Cannot convert a primitive value to the expected type 'Edm.Boolean' for property '${name}'.`, 'RequestBodyRead');
		}
	}
	if (input.subject !== undefined && input.subject !== null && typeof input.subject !== 'string') {
		throw badRequest("Cannot convert a primitive value to the expected type 'Edm.String' for property 'subject'.", 'RequestBodyRead');
	}
	if (input.categories !== undefined && !(Array.isArray(input.categories) && input.categories.every((c) => typeof c === 'string'))) {
		throw badRequest("The property 'categories' must be a collection of strings.", 'RequestBodyRead');
	}
	const reminder = input.reminderMinutesBeforeStart;
	if (reminder !== undefined && reminder !== null && !Number.isInteger(reminder)) {
		throw badRequest("Cannot convert a primitive value to the expected type 'Edm.Int32' for property 'reminderMinutesBeforeStart'.", 'RequestBodyRead');
	}
	if (input.location !== undefined && input.location !== null && typeof input.location !== 'object') {
		throw badRequest("The property 'location' must be a location object.", 'RequestBodyRead');
	}
	if (input.body !== undefined && input.body !== null) {
		const body = input.body as { contentType?: unknown; content?: unknown };
		if (typeof body !== 'object') throw badRequest("The property 'body' must be an itemBody object.", 'RequestBodyRead');
		if (body.contentType !== undefined && !['html', 'text'].includes(String(body.contentType).toLowerCase())) {
			throw badRequest(`Requested value '${String(body.contentType)}' was not found.`, 'RequestBodyRead');
		}
	}
}

function validateTimes(start: StoredTime, end: StoredTime, isAllDay: boolean): void {
	if (end.ms < start.ms) {
		throw invalidRequest("Your request can't be completed. The end time of the event must be later than its start time.");
	}
	if (isAllDay) {
		const s = DateTime.fromMillis(start.ms, { zone: start.iana });
		const e = DateTime.fromMillis(end.ms, { zone: end.iana });
		const midnight = (d: DateTime): boolean => d.hour === 0 && d.minute === 0 && d.second === 0 && d.millisecond === 0;
		if (!midnight(s) || !midnight(e) || e.toMillis() <= s.toMillis()) {
			throw invalidRequest("Your request can't be completed. If the event is an all-day event, the start and end time must be set to midnight and the event must span at least one whole day.");
		}
	}
}

function normalizeAttendees(input: unknown, previous: StoredAttendee[] = []): StoredAttendee[] {
	if (input === undefined || input === null) return [];
	if (!Array.isArray(input)) throw badRequest("The property 'attendees' must be a collection.", 'RequestBodyRead');
	if (input.length > MAX_ATTENDEES) {
		throw invalidRequest(`Your request can't be completed. An event can have at most ${MAX_ATTENDEES} attendees.`);
	}
	return input.map((a: unknown) => {
		const attendee = (a ?? {}) as { type?: unknown; emailAddress?: { address?: unknown; name?: unknown } };
		const address = attendee.emailAddress?.address;
		if (typeof address !== 'string' || !address.includes('@')) {
			throw invalidRequest("Your request can't be completed. An attendee needs a valid email address.");
		}
		const type = attendee.type === undefined ? 'required' : String(attendee.type);
		if (!['required', 'optional', 'resource'].includes(type)) throw badRequest(`Requested value '${type}' was not found.`, 'RequestBodyRead');
		// Keep the response of attendees who stay on the list.
		const kept = previous.find((p) => p.emailAddress.address.toLowerCase() === address.toLowerCase());
		return {
			type,
			emailAddress: { name: typeof attendee.emailAddress?.name === 'string' ? attendee.emailAddress.name : address, address },
			status: kept ? { ...kept.status } : { response: 'none', time: NO_TIME },
		};
	});
}

function cloneAttendees(list: StoredAttendee[]): StoredAttendee[] {
	return list.map((a) => ({ type: a.type, emailAddress: { ...a.emailAddress }, status: { ...a.status } }));
}

function cloneRecord(rec: EventRecord): EventRecord {
	return {
		...rec,
		props: clone(rec.props),
		body: { ...rec.body },
		start: { ...rec.start },
		end: { ...rec.end },
		attendees: cloneAttendees(rec.attendees),
		organizer: { ...rec.organizer },
		responseStatus: { ...rec.responseStatus },
		ext: new Map(rec.ext),
		copies: new Map(),
		cancelled: new Set(),
		exceptions: new Map(),
	};
}

function clone<T>(value: T): T {
	return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Key-order-independent JSON, to recognise a replayed create. */
export function canonicalJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
	if (value && typeof value === 'object') {
		const entries = Object.entries(value as Json).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
	}
	return JSON.stringify(value);
}

function getPathCI(item: Json, path: string[]): unknown {
	let current: unknown = item;
	for (const segment of path) {
		if (!current || typeof current !== 'object') return undefined;
		const record = current as Json;
		const key = segment in record ? segment : Object.keys(record).find((k) => k.toLowerCase() === segment.toLowerCase());
		current = key === undefined ? undefined : record[key];
	}
	return current;
}

function renderLocation(value: unknown): Json {
	const loc = (value && typeof value === 'object' ? value : {}) as Json;
	return {
		displayName: typeof loc.displayName === 'string' ? loc.displayName : '',
		locationType: loc.locationType ?? 'default',
		uniqueIdType: loc.uniqueIdType ?? (loc.displayName ? 'private' : 'unknown'),
		...(loc.uniqueId !== undefined ? { uniqueId: loc.uniqueId } : {}),
		address: loc.address ?? {},
		coordinates: loc.coordinates ?? {},
	};
}

// ---------------------------------------------------------------------------------------------
// Bodies: Exchange keeps event bodies as HTML; a text body comes back wrapped in HTML unless the
// client asks for `Prefer: outlook.body-content-type="text"`.
// ---------------------------------------------------------------------------------------------

function toBody(input: unknown): EventRecord['body'] {
	if (!input || typeof input !== 'object') return { html: '', text: '', givenType: 'html' };
	const { contentType, content } = input as { contentType?: unknown; content?: unknown };
	const text = typeof content === 'string' ? content : '';
	if (String(contentType ?? 'text').toLowerCase() === 'html') return { html: text, text: htmlToText(text), givenType: 'html' };
	return { html: text ? textToHtml(text) : '', text, givenType: 'text' };
}

function escapeHtml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function textToHtml(text: string): string {
	return `<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n${escapeHtml(text).replace(/\r?\n/g, '<br>\r\n')}\r\n</body>\r\n</html>\r\n`;
}

export function htmlToText(html: string): string {
	return html
		.replace(/<head[\s\S]*?<\/head>/gi, '')
		.replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
		.replace(/<br\s*\/?>\s*(\r?\n)?/gi, '\n')
		.replace(/<\/(p|div|li|tr|h[1-6])>/gi, '\n')
		.replace(/<[^>]+>/g, '')
		.replace(/&nbsp;/g, ' ')
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&#39;/g, "'")
		.replace(/&amp;/g, '&')
		.replace(/^\s+|\s+$/g, '');
}

function preview(text: string): string {
	return text.replace(/\s+/g, ' ').trim().slice(0, 255);
}
