import { GraphError } from './errors';
import { guidFrom, mailboxTagFor, newKey, type ItemRef } from './ids';
import type { Json } from './odata';
import type { NormalizedRecurrence } from './recurrence';

/** The in-memory Exchange: users, their calendars and contact folders. */

export interface UserRecord {
	id: string;
	mail: string;
	mailLower: string;
	displayName: string;
	accessDenied: boolean;
	/** Mixed into item ids so that an id is only found in its own mailbox. */
	tag: Buffer;
}

export interface ExtendedValue {
	/** The id as Graph returns it (GUID lower-cased). */
	id: string;
	value: string;
}

/** Keyed by the canonical id: type, GUID and the Name/Id keyword compare case-insensitively, the name exactly. */
export type ExtendedProps = Map<string, ExtendedValue>;

export interface StoredTime {
	ms: number;
	/** As the client sent it (Windows or IANA name): originalStartTimeZone/originalEndTimeZone. */
	zoneName: string;
	iana: string;
}

export interface StoredAttendee {
	type: string;
	emailAddress: { name: string; address: string };
	status: { response: string; time: string };
}

export interface EventRecord {
	key: string;
	mailbox: string;
	seq: number;
	type: 'singleInstance' | 'seriesMaster' | 'exception';
	/** Plain writable properties (subject, location, sensitivity, showAs, categories, …). */
	props: Json;
	body: { html: string; text: string; givenType: 'html' | 'text' };
	start: StoredTime;
	end: StoredTime;
	isAllDay: boolean;
	recurrence?: NormalizedRecurrence;
	attendees: StoredAttendee[];
	organizer: { name: string; address: string };
	isOrganizer: boolean;
	responseStatus: { response: string; time: string };
	iCalUId: string;
	changeKey: string;
	createdMs: number;
	lastModifiedMs: number;
	ext: ExtendedProps;
	transactionId?: string;
	/** Organizer side: attendee mailbox → key of the attendee's copy. */
	copies: Map<string, string>;
	/** Attendee side: the organizer's item. */
	organizerLink?: { mailbox: string; key: string };
	/** Series masters: original starts (ms) of cancelled occurrences. */
	cancelled: Set<number>;
	/** Series masters: original start (ms) → key of the exception item. */
	exceptions: Map<number, string>;
	/** Exceptions: their master and original start. */
	masterKey?: string;
	originalStartMs?: number;
}

export interface FolderRecord {
	key: string;
	mailbox: string;
	seq: number;
	displayName: string;
	parentKey: string;
	isDefault: boolean;
	ext: ExtendedProps;
	changeKey: string;
}

export interface ContactRecord {
	key: string;
	mailbox: string;
	folderKey: string;
	seq: number;
	props: Json;
	changeKey: string;
	createdMs: number;
	lastModifiedMs: number;
	ext: ExtendedProps;
}

export class Mailbox {
	readonly events = new Map<string, EventRecord>();
	readonly contacts = new Map<string, ContactRecord>();
	readonly folders = new Map<string, FolderRecord>();
	/** transactionId → the event created with it and a fingerprint of the request body. */
	readonly transactions = new Map<string, { key: string; fingerprint: string }>();
	/** Bumped by expireDeltaTokens: older delta/skip tokens answer 410. */
	deltaGeneration = 0;
	/** The msgfolderroot (parent of the default Contacts folder). */
	readonly rootFolderKey = newKey();
	readonly defaultFolderKey: string;
	readonly calendarKey = newKey();

	constructor(readonly user: UserRecord, seq: () => number) {
		this.defaultFolderKey = newKey();
		this.folders.set(this.defaultFolderKey, {
			key: this.defaultFolderKey,
			mailbox: user.mailLower,
			seq: seq(),
			displayName: 'Contacts',
			parentKey: this.rootFolderKey,
			isDefault: true,
			ext: new Map(),
			changeKey: '',
		});
	}
}

export interface Change {
	mailbox: string;
	userId: string;
	resource: 'events' | 'contacts';
	ref: ItemRef;
	/** Contacts: the folder the contact is (or was) in. */
	folderKey?: string;
	changeType: 'created' | 'updated' | 'deleted';
	changeKey: string;
}

export type ChangeSink = (change: Change) => void;

export class Store {
	private readonly users: UserRecord[] = [];
	private readonly mailboxes = new Map<string, Mailbox>();
	private counter = 0;

	readonly nextSeq = (): number => ++this.counter;

	addUser(input: { id?: string; mail: string; displayName: string; accessDenied?: boolean }): UserRecord {
		if (!input.mail || !input.mail.includes('@')) throw new Error(`A seeded user needs a mail address (got "${input.mail}")`);
		const mailLower = input.mail.toLowerCase();
		if (this.mailboxes.has(mailLower)) throw new Error(`Duplicate seeded user ${input.mail}`);
		const id = (input.id ?? guidFrom(`user:${mailLower}`)).toLowerCase();
		const user: UserRecord = {
			id,
			mail: input.mail,
			mailLower,
			displayName: input.displayName,
			accessDenied: !!input.accessDenied,
			tag: mailboxTagFor(id),
		};
		this.users.push(user);
		this.mailboxes.set(mailLower, new Mailbox(user, this.nextSeq));
		return user;
	}

	allUsers(): UserRecord[] {
		return [...this.users];
	}

	/** By GUID or by mail/UPN, case-insensitively. */
	findUser(idOrMail: string): UserRecord | undefined {
		const lower = idOrMail.toLowerCase();
		return this.users.find((u) => u.id === lower || u.mailLower === lower);
	}

	mailbox(mailLower: string): Mailbox {
		const box = this.mailboxes.get(mailLower);
		if (!box) throw new Error(`No mailbox ${mailLower}`);
		return box;
	}

	hasMailbox(mailLower: string): boolean {
		return this.mailboxes.has(mailLower);
	}

	allMailboxes(): Mailbox[] {
		return [...this.mailboxes.values()];
	}

	clear(): void {
		this.users.length = 0;
		this.mailboxes.clear();
	}
}

// ---------------------------------------------------------------------------------------------
// Extended properties
// ---------------------------------------------------------------------------------------------

const NAMED = /^\s*(\w+)\s+\{([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}\s+(name|id)\s+(.+?)\s*$/i;
const TAGGED = /^\s*(\w+)\s+(0x[0-9a-fA-F]{1,8})\s*$/i;

/**
 * Items carry the same few property ids over and over: parsed once, and every item shares the same
 * two strings (millions of contacts in a benchmark would otherwise hold a copy each).
 */
const parsedIds = new Map<string, { canonical: string; display: string }>();

/** Canonical form and display form of a single-value extended property id; 400 when malformed. */
export function extendedId(id: unknown): { canonical: string; display: string } {
	if (typeof id !== 'string') throw malformedId(id);
	let parsed = parsedIds.get(id);
	if (parsed === undefined) {
		parsed = parseExtendedId(id);
		if (parsedIds.size >= 10_000) parsedIds.clear();
		parsedIds.set(id, parsed);
	}
	return parsed;
}

function parseExtendedId(id: string): { canonical: string; display: string } {
	const named = NAMED.exec(id);
	if (named) {
		const [, type, guid, keyword, name] = named;
		const kw = keyword.toLowerCase() === 'name' ? 'Name' : 'Id';
		return {
			canonical: `${type.toLowerCase()} {${guid.toLowerCase()}} ${kw.toLowerCase()} ${kw === 'Id' ? name.toLowerCase() : name}`,
			display: `${type} {${guid.toLowerCase()}} ${kw} ${name}`,
		};
	}
	const tagged = TAGGED.exec(id);
	if (tagged) {
		return { canonical: `${tagged[1].toLowerCase()} ${tagged[2].toLowerCase()}`, display: `${tagged[1]} ${tagged[2].toLowerCase()}` };
	}
	throw malformedId(id);
}

function malformedId(id: unknown): GraphError {
	return new GraphError(400, 'ErrorInvalidProperty', `The extended property id '${String(id)}' is not valid.`);
}

/** Upserts `[{id, value}]` from a request body (create and PATCH). */
export function applyExtended(target: ExtendedProps, input: unknown): void {
	if (input === undefined || input === null) return;
	if (!Array.isArray(input)) throw new GraphError(400, 'BadRequest', 'singleValueExtendedProperties must be a collection.');
	for (const entry of input) {
		const { id, value } = (entry ?? {}) as { id?: unknown; value?: unknown };
		const { canonical, display } = extendedId(id);
		if (value === null || value === undefined) {
			throw new GraphError(400, 'ErrorInvalidProperty', `The extended property '${String(id)}' needs a value.`);
		}
		target.set(canonical, { id: display, value: String(value) });
	}
}

export function sameExtendedId(a: string, b: string): boolean {
	try {
		return extendedId(a).canonical === extendedId(b).canonical;
	} catch {
		return false;
	}
}

export function extendedList(ext: ExtendedProps): ExtendedValue[] {
	return [...ext.values()].map((v) => ({ ...v }));
}
