import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import { NO, YES } from '../../lib/ln/contract';
import { SeededRandom } from './common/random';
import type { GraphEmulator, GraphSeed, GraphSeedUser } from './graph/emulator';
import type { LnEmulator, LnSeed } from './ln/emulator';

/**
 * A deterministic tenant for both emulators: LN sync users, contacts (with business partners and
 * addresses), activities with attendees, and the Graph users with events already in their
 * calendars. Same options → byte-identical output (SeededRandom only; `now` comes from the
 * options). Every section draws from its own random stream, so e.g. more contacts do not change
 * the events.
 */

export interface GeneratorOptions {
	/** Default 1. */
	seed?: number;
	/** ISO instant all dates are relative to. */
	now: string;
	/** LN company; default '100'. */
	company?: string;
	users: number;
	contacts: number;
	activities: number;
	/** Attendees of each activity including the organizer; default 3. */
	attendeesPerActivity?: number;
	events: number;
	/** Length of the future window; default 90 days. */
	horizonDays?: number;
}

export type LnRow = Record<string, unknown>;

export interface TenantSummary {
	seed: number;
	now: string;
	company: string;
	horizonDays: number;
	/** The window the data is spread over: [now, now + horizon). */
	window: { start: string; end: string };
	users: {
		/** Sync users (LN SyncUsers Active Yes with a Graph mailbox of the same address). */
		sync: number;
		/** Sync users whose LN e-mail differs from the mailbox in case only (the LN addresses). */
		mixedCaseEmails: string[];
		/** LN users that are NOT sync users, with the reason. */
		notSync: Array<{ user: string; email: string; employee: string; reason: 'inactive' | 'noMailbox' }>;
		/** Employees with no sync-user record at all (organizers/attendees that are not sync users). */
		otherEmployees: number;
		/** Graph users (sync users + the inactive LN user's mailbox). */
		graphUsers: number;
	};
	contacts: {
		total: number;
		synchronize: number;
		inactive: number;
		optedOut: number;
		withoutEmail: number;
		nonAscii: number;
		rightToLeft: number;
		/** Contacts that a sync picks up: Synchronize Yes and Active Yes. */
		synchronizable: number;
		businessPartners: number;
		addresses: number;
	};
	activities: {
		total: number;
		byType: Record<'Appointment' | 'Call' | 'Task', number>;
		synchronize: number;
		cancelled: number;
		allDay: number;
		/** Ended before `now`. */
		past: number;
		private: number;
		nonAsciiSubject: number;
		/** Organizer is an employee that is not a sync user. */
		organizerNotSyncUser: number;
		attendees: number;
		attendeesByType: Record<'Employee' | 'Contact' | 'Other', number>;
		invited: number;
	};
	events: {
		/** Items POSTed (series count once), all by their organizer. */
		total: number;
		meetings: number;
		appointments: number;
		allDay: number;
		private: number;
		otherTimeZone: number;
		recurringSeries: number;
		/** Sum of numberOfOccurrences over the series. */
		recurringOccurrences: number;
		/** Ended before `now`. */
		past: number;
		nonAsciiSubject: number;
		/** Attendees that are other sync users (each gets a copy in their calendar). */
		internalAttendees: number;
		externalAttendees: number;
		byMailbox: Record<string, number>;
	};
}

export interface GeneratedTenant {
	ln: LnSeed;
	graph: GraphSeed;
	summary: TenantSummary;
}

export const DEFAULT_HORIZON_DAYS = 90;
export const DEFAULT_ATTENDEES_PER_ACTIVITY = 3;
export const MAIL_DOMAIN = 'contoso.com';
export const EXTERNAL_DOMAIN = 'fabrikam.com';

/** Tenant sizes for tools (CLI, benchmark). `s` is the demo scenario. */
export const SIZES = {
	s: { users: 5, contacts: 40, activities: 20, events: 20 },
	m: { users: 50, contacts: 500, activities: 500, events: 1000 },
	l: { users: 500, contacts: 5000, activities: 5000, events: 10000 },
} as const;
export type SizeName = keyof typeof SIZES;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const QUARTER = 15 * MINUTE;

/** Other zones some events are created in (Windows name as Outlook sends it → IANA). */
export const OTHER_TIME_ZONES: ReadonlyArray<{ windows: string; iana: string }> = [
	{ windows: 'Pacific Standard Time', iana: 'America/Los_Angeles' },
	{ windows: 'Tokyo Standard Time', iana: 'Asia/Tokyo' },
	{ windows: 'W. Europe Standard Time', iana: 'Europe/Berlin' },
	{ windows: 'India Standard Time', iana: 'Asia/Kolkata' },
];

// ---- name and text pools ------------------------------------------------------------------------

type Name = { first: string; last: string; rtl?: boolean };

const ASCII_FIRST = ['Anna', 'Ben', 'Carla', 'David', 'Emma', 'Felix', 'Grace', 'Hugo', 'Ines', 'Jack', 'Karin', 'Liam', 'Mia', 'Noah', 'Olivia', 'Paul', 'Quinn', 'Rosa', 'Sam', 'Tara', 'Uma', 'Victor', 'Wendy', 'Xavier', 'Yara', 'Zack'];
const ASCII_LAST = ['Archer', 'Baker', 'Clark', 'Dawson', 'Evans', 'Fischer', 'Garcia', 'Hughes', 'Ito', 'Jensen', 'Khan', 'Lopez', 'Miller', 'Nguyen', 'Owens', 'Patel', 'Rossi', 'Schmidt', 'Turner', 'Ueda', 'Vargas', 'Walsh', 'Young', 'Zimmer'];
/** Non-ASCII, left to right. */
const ACCENTED: Name[] = [
	{ first: 'Zoë', last: 'Ångström' },
	{ first: 'José', last: 'Muñoz' },
	{ first: 'François', last: 'Lefèvre' },
	{ first: 'Łukasz', last: 'Wróbel' },
	{ first: 'Søren', last: 'Kierkegård' },
	{ first: 'Jürgen', last: 'Müller' },
	{ first: 'Çağla', last: 'Yılmaz' },
	{ first: 'Björk', last: 'Guðmundsdóttir' },
	{ first: 'Renée', last: 'Côté' },
	{ first: 'Małgorzata', last: 'Świątek' },
	{ first: 'Иван', last: 'Петров' },
	{ first: 'Δημήτρης', last: 'Παπαδόπουλος' },
	{ first: '花子', last: '佐藤' },
];
/** Right-to-left scripts (Arabic, Hebrew). */
const RTL: Name[] = [
	{ first: 'محمد', last: 'العلي', rtl: true },
	{ first: 'فاطمة', last: 'الزهراء', rtl: true },
	{ first: 'أحمد', last: 'حسن', rtl: true },
	{ first: 'יעל', last: 'כהן', rtl: true },
	{ first: 'דוד', last: 'לוי', rtl: true },
];

const PARTNER_NAMES = ['Northwind Traders', 'Tailspin Toys', 'Wide World Importers', 'Adventure Works', 'Litware', 'Proseware', 'Fourth Coffee', 'Lucerne Publishing', 'Margie’s Travel', 'Müller & Söhne GmbH', 'Société Générale de Café', 'Åkerlund Bygg AB', 'Łódź Metal Sp. z o.o.', 'شركة النور', '東京精密株式会社'];
const CITIES: Array<[city: string, country: string, state: string]> = [
	['Seattle', 'US', 'WA'], ['Chicago', 'US', 'IL'], ['Berlin', 'DE', ''], ['München', 'DE', 'BY'], ['Paris', 'FR', ''],
	['Zürich', 'CH', 'ZH'], ['Göteborg', 'SE', ''], ['Kraków', 'PL', ''], ['Dubai', 'AE', ''], ['東京', 'JP', ''], ['Amsterdam', 'NL', 'NH'],
];
const STREETS = ['Main Street', 'Hauptstraße', 'Rue de Rivoli', 'Bahnhofstrasse', 'Storgatan', 'Ulica Długa', 'Keizersgracht', 'Market Street'];
const TITLES = ['Mr.', 'Ms.', 'Dr.', 'Prof.', ''];
const JOB_TITLES = ['Purchasing Manager', 'CEO', 'Sales Director', 'Buyer', 'Head of IT', 'Project Manager', 'Einkaufsleiter', 'Directrice commerciale', 'Service Engineer', 'CFO'];
const DEPARTMENTS = ['Purchasing', 'Management', 'Sales', 'IT', 'Finance', 'Logistics', 'Einkauf', 'Production', ''];
const CONTACT_NOTES = ['Prefers e-mail.', 'Met at the trade fair in Hannover.', 'Key account – call before visiting.', 'Bevorzugt Termine am Vormittag.', 'Speaks French and German.\nAssistant: Lena.', ''];

const ACTIVITY_SUBJECTS = ['Quarterly review with {bp}', 'Offer presentation at {bp}', 'Contract negotiation', 'Service visit at {bp}', 'Product demo', 'Project kickoff {bp}', 'Price discussion', 'Annual planning'];
const ACTIVITY_SUBJECTS_NON_ASCII = ['Besprechung: Überprüfung der Angebote', 'Réunion de lancement – {bp}', 'Visita técnica en Málaga', 'Café avec {contact}', '会議: 年次レビュー', 'Встреча с клиентом', 'اجتماع فريق المبيعات', 'Ångström workshop 🚀'];
const CALL_SUBJECTS = ['Call {contact}', 'Follow-up call {bp}', 'Rückruf {contact}', 'Phone call about the offer'];
const TASK_SUBJECTS = ['Prepare quotation for {bp}', 'Send brochure to {contact}', 'Update price list', 'Angebot nachfassen'];
const LOCATIONS = ['Meeting room Berlin', 'Microsoft Teams', 'Customer site', 'Café Zürich', 'Room 2.14', 'Salle Étoile', ''];
const ACTIVITY_TEXTS = ['Agenda:\n1. Status\n2. Next steps', 'Bring the signed NDA.', 'Tagesordnung folgt.', ''];

const EVENT_SUBJECTS = ['Team sync', 'Project kickoff', '1:1 with manager', 'Budget review', 'Customer call', 'Lunch', 'Dentist', 'Training session', 'Sprint planning', 'Quarterly business review', 'Design workshop', 'Site visit', 'Interview', 'Release retrospective', 'Vendor demo'];
const EVENT_SUBJECTS_NON_ASCII = ['Besprechung: Überprüfung der Angebote', 'Réunion de lancement – équipe', 'Café avec Zoë', '会議: 年次レビュー', 'Встреча с клиентом', 'اجتماع فريق المبيعات', 'Visita técnica en Málaga', 'Ångström workshop 🚀', 'Προγραμματισμός έργου', 'פגישת צוות'];
const ALL_DAY_SUBJECTS = ['Vacation', 'Trade fair Hannover', 'Offsite', 'Public holiday', 'Urlaub', 'Congé'];
const EVENT_LOCATIONS = ['Conference room 1', 'Microsoft Teams Meeting', 'Café Zürich', 'Head office', 'Salle Étoile', '東京オフィス'];
const DURATIONS_EVENT = [30, 45, 60, 90, 120];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

// ---- helpers ------------------------------------------------------------------------------------

/** FNV-1a of a label, mixed with the seed: one independent random stream per section. */
function streamSeed(seed: number, label: string): number {
	let h = 0x811c9dc5 ^ (seed >>> 0);
	for (let i = 0; i < label.length; i++) {
		h ^= label.charCodeAt(i);
		h = Math.imul(h, 0x01000193) >>> 0;
	}
	h ^= Math.imul(seed >>> 0, 0x9e3779b1) >>> 0;
	return h >>> 0;
}

function rngFor(seed: number, label: string): SeededRandom {
	return new SeededRandom(streamSeed(seed, label));
}

/** round(n × share); at least one when n ≥ `atLeastOneFrom` (so rare cases exist in small tenants). */
function quota(n: number, share: number, atLeastOneFrom = 10): number {
	const k = Math.round(n * share);
	return Math.min(n, k === 0 && n >= atLeastOneFrom ? 1 : k);
}

/** k distinct indices of 0…n-1 (Floyd's algorithm: O(k)). */
function pickIndices(rng: SeededRandom, n: number, k: number): Set<number> {
	const chosen = new Set<number>();
	for (let j = n - k; j < n; j++) {
		const t = rng.int(0, j);
		chosen.add(chosen.has(t) ? j : t);
	}
	return chosen;
}

/** k distinct members of a list, in list order. */
function pickFrom<T>(rng: SeededRandom, list: readonly T[], k: number): T[] {
	const set = pickIndices(rng, list.length, Math.min(k, list.length));
	return [...set].sort((a, b) => a - b).map((i) => list[i]);
}

/** A label per index with exact counts, shuffled (Fisher–Yates). */
function spread<L extends string>(rng: SeededRandom, n: number, counts: Array<[L, number]>, rest: L): L[] {
	const labels: L[] = [];
	for (const [label, count] of counts) for (let i = 0; i < count && labels.length < n; i++) labels.push(label);
	while (labels.length < n) labels.push(rest);
	for (let i = n - 1; i > 0; i--) {
		const j = rng.int(0, i);
		[labels[i], labels[j]] = [labels[j], labels[i]];
	}
	return labels;
}

function pad(n: number, width: number): string {
	return String(n).padStart(width, '0');
}

const FOLD: Record<string, string> = { ø: 'o', ł: 'l', æ: 'ae', ß: 'ss', ð: 'd', ı: 'i', đ: 'd', œ: 'oe' };

/** An ASCII slug of a name for e-mail addresses ('' for names in non-Latin scripts). */
function slug(text: string): string {
	return text
		.toLowerCase()
		.normalize('NFD')
		.replace(/[\u0300-\u036f]/g, '')
		.replace(/[øłæßðıđœ]/g, (c) => FOLD[c] ?? '')
		.replace(/[^a-z0-9]/g, '');
}

function hasNonAscii(text: string): boolean {
	return /[^\x20-\x7e\n]/.test(text);
}

/** LN's date format: UTC, `Z`, no milliseconds. */
export function lnDate(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Graph's wall-clock `dateTime` (no offset) of an instant in a zone. */
function wallClock(ms: number, iana: string): string {
	if (iana === 'UTC') return new Date(ms).toISOString().slice(0, 19);
	return DateTime.fromMillis(ms, { zone: iana }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

function ceilTo(ms: number, step: number): number {
	return Math.ceil(ms / step) * step;
}

function floorTo(ms: number, step: number): number {
	return Math.floor(ms / step) * step;
}

function fill(template: string, values: { bp?: string; contact?: string }): string {
	return template.replace('{bp}', values.bp || 'Contoso').replace('{contact}', values.contact || 'customer');
}

/** Window arithmetic shared by activities and events. */
class Clock {
	readonly now: number;
	readonly end: number;
	/** First start of a future item (now + 1 h, on a quarter hour). */
	readonly firstStart: number;
	/** First UTC midnight at least an hour away. */
	readonly firstMidnight: number;

	constructor(now: string, readonly horizonDays: number) {
		this.now = Date.parse(now);
		if (Number.isNaN(this.now)) throw new Error(`generateTenant: "now" is not an ISO instant: ${JSON.stringify(now)}`);
		this.end = this.now + horizonDays * DAY;
		this.firstStart = ceilTo(this.now + HOUR, QUARTER);
		this.firstMidnight = ceilTo(this.now + HOUR, DAY);
	}

	/** A start on a quarter hour in [now+1h, end − duration] (or in the first `fraction` of the window). */
	futureStart(rng: SeededRandom, durationMs: number, fraction = 1): number {
		const last = Math.max(this.firstStart, floorTo(this.now + (this.end - this.now) * fraction - durationMs, QUARTER));
		return this.firstStart + rng.int(0, Math.floor((last - this.firstStart) / QUARTER)) * QUARTER;
	}

	/** A start 1–30 days ago; with a duration up to 3 h it ends before now. */
	pastStart(rng: SeededRandom): number {
		return floorTo(this.now - DAY - rng.int(0, 29 * 24 * 4) * QUARTER, QUARTER);
	}

	/** A UTC midnight whose day lies within the window. */
	futureMidnight(rng: SeededRandom): number {
		const days = Math.max(0, Math.floor((this.end - this.firstMidnight) / DAY) - 1);
		return this.firstMidnight + rng.int(0, days) * DAY;
	}

	pastMidnight(rng: SeededRandom): number {
		return floorTo(this.now, DAY) - rng.int(2, 30) * DAY;
	}
}

// ---- people ---------------------------------------------------------------------------------------

interface Person {
	user?: string;
	employee: string;
	name: string;
	/** The address as LN holds it (may differ in case from the mailbox). */
	lnEmail: string;
	/** The mailbox address (lower case), when the person has one. */
	mailbox?: string;
}

interface ContactRef {
	id: string;
	fullName: string;
	email: string;
	optedOut: boolean;
	partnerName: string;
}

function personName(rng: SeededRandom, index: number): string {
	// Mostly ASCII; one in eight accented; the rest deterministic over the pools.
	if (rng.chance(0.12)) {
		const n = rng.pick(ACCENTED);
		return `${n.first} ${n.last}`;
	}
	return `${ASCII_FIRST[index % ASCII_FIRST.length]} ${rng.pick(ASCII_LAST)}`;
}

function buildPeople(options: Required<GeneratorOptions>) {
	const rng = rngFor(options.seed, 'users');
	const n = options.users;
	const width = Math.max(3, String(n + 2).length);
	const mixed = pickIndices(rng, n, quota(n, 0.05, 2));
	const sync: Person[] = [];
	for (let i = 0; i < n; i++) {
		const code = pad(i + 1, width);
		const mailbox = `u${code}@${MAIL_DOMAIN}`;
		const lnEmail = mixed.has(i) ? `U${code}@${MAIL_DOMAIN.charAt(0).toUpperCase()}${MAIL_DOMAIN.slice(1)}` : mailbox;
		sync.push({ user: `u${code}`, employee: `E${code}`, name: personName(rng, i), lnEmail, mailbox });
	}
	const inactiveCode = pad(n + 1, width);
	const noMailboxCode = pad(n + 2, width);
	const inactive: Person = {
		user: `u${inactiveCode}`,
		employee: `E${inactiveCode}`,
		name: personName(rng, n),
		lnEmail: `u${inactiveCode}@${MAIL_DOMAIN}`,
		mailbox: `u${inactiveCode}@${MAIL_DOMAIN}`,
	};
	const noMailbox: Person = {
		user: `u${noMailboxCode}`,
		employee: `E${noMailboxCode}`,
		name: personName(rng, n + 1),
		lnEmail: `u${noMailboxCode}@${MAIL_DOMAIN}`,
	};
	const otherCount = Math.max(2, Math.round(n * 0.05));
	const others: Person[] = [];
	for (let j = 0; j < otherCount; j++) {
		const code = pad(n + 3 + j, width);
		others.push({ employee: `E${code}`, name: personName(rng, n + 2 + j), lnEmail: `e${code}@${MAIL_DOMAIN}` });
	}
	return { sync, inactive, noMailbox, others, mixedCaseEmails: [...mixed].sort((a, b) => a - b).map((i) => sync[i].lnEmail) };
}

type People = ReturnType<typeof buildPeople>;

// ---- LN contacts ----------------------------------------------------------------------------------

function buildContacts(options: Required<GeneratorOptions>) {
	const rng = rngFor(options.seed, 'contacts');
	const n = options.contacts;
	const width = Math.max(5, String(n).length);
	const partnerCount = n === 0 ? 0 : Math.max(1, Math.ceil(n / 10));
	const pWidth = Math.max(4, String(partnerCount).length);
	const businessPartners: LnRow[] = [];
	const addresses: LnRow[] = [];
	const partners: Array<{ id: string; name: string; address: string; domain: string }> = [];
	for (let p = 0; p < partnerCount; p++) {
		const code = pad(p + 1, pWidth);
		const base = PARTNER_NAMES[p % PARTNER_NAMES.length];
		const name = p < PARTNER_NAMES.length ? base : `${base} ${Math.floor(p / PARTNER_NAMES.length) + 1}`;
		const [city, country, state] = rng.pick(CITIES);
		const partner = { id: `BP${code}`, name, address: `ADR${code}`, domain: `partner${code}.example.com` };
		partners.push(partner);
		businessPartners.push({ BusinessPartner: partner.id, Name: name });
		addresses.push({
			Address: partner.address,
			Street: rng.pick(STREETS),
			HouseNumber: String(rng.int(1, 250)),
			City: city,
			PostalCode: String(rng.int(10000, 99999)),
			State: state,
			Country: country,
		});
	}

	const rtl = pickIndices(rng, n, quota(n, 0.03, 2));
	const accented = pickIndices(rng, n, quota(n, 0.1, 2));
	const noSync = pickIndices(rng, n, quota(n, 0.1));
	const inactive = pickIndices(rng, n, quota(n, 0.05));
	const optedOut = pickIndices(rng, n, quota(n, 0.05));
	const noEmail = pickIndices(rng, n, quota(n, 0.05));
	const usedEmails = new Set<string>();
	const contacts: LnRow[] = [];
	const refs: ContactRef[] = [];
	let nonAscii = 0;
	for (let i = 0; i < n; i++) {
		const id = `C${pad(i + 1, width)}`;
		const name: Name = rtl.has(i)
			? rng.pick(RTL)
			: accented.has(i)
				? rng.pick(ACCENTED)
				: { first: rng.pick(ASCII_FIRST), last: rng.pick(ASCII_LAST) };
		const partner = partners[rng.int(0, partners.length - 1)];
		const middle = rng.chance(0.1) ? rng.pick(['J.', 'Marie', 'A.', 'von']) : '';
		const fullName = [name.first, middle, name.last].filter(Boolean).join(' ');
		let email = '';
		if (!noEmail.has(i)) {
			const local = [slug(name.first), slug(name.last)].filter(Boolean).join('.') || id.toLowerCase();
			email = `${local}@${partner.domain}`;
			if (usedEmails.has(email)) email = `${local}.${id.toLowerCase()}@${partner.domain}`;
			usedEmails.add(email);
		}
		const phone = () => `+1 555 ${pad(rng.int(0, 9999), 4)} ${pad(rng.int(0, 999), 3)}`;
		const record: LnRow = {
			Contact: id,
			FirstName: name.first,
			MiddleName: middle,
			LastName: name.last,
			FullName: fullName,
			Title: rng.pick(TITLES),
			JobTitle: rng.pick(JOB_TITLES),
			Department: rng.pick(DEPARTMENTS),
			Email: email,
			OfficePhone: phone(),
			MobilePhone: rng.chance(0.7) ? phone() : '',
			HomePhone: rng.chance(0.1) ? phone() : '',
			Fax: rng.chance(0.1) ? phone() : '',
			BusinessPartner: partner.id,
			WorkAddress: partner.address,
			Website: `https://www.${partner.domain}`,
			Text: rng.pick(CONTACT_NOTES),
			Synchronize: noSync.has(i) ? NO : YES,
			Active: inactive.has(i) ? NO : YES,
			OptedOut: optedOut.has(i) ? YES : NO,
			LastModifiedDate: lnDate(floorTo(Date.parse(options.now), 1000) - rng.int(1, 365 * 24) * HOUR),
		};
		if (hasNonAscii(`${fullName}`)) nonAscii++;
		contacts.push(record);
		refs.push({ id, fullName, email, optedOut: optedOut.has(i), partnerName: partner.name });
	}
	const summary: TenantSummary['contacts'] = {
		total: n,
		synchronize: n - noSync.size,
		inactive: inactive.size,
		optedOut: optedOut.size,
		withoutEmail: noEmail.size,
		nonAscii,
		rightToLeft: rtl.size,
		synchronizable: contacts.filter((c) => c.Synchronize === YES && c.Active === YES).length,
		businessPartners: businessPartners.length,
		addresses: addresses.length,
	};
	return { contacts, businessPartners, addresses, refs, summary };
}

// ---- LN activities --------------------------------------------------------------------------------

function buildActivities(options: Required<GeneratorOptions>, people: People, contactRefs: ContactRef[], clock: Clock) {
	const rng = rngFor(options.seed, 'activities');
	const n = options.activities;
	const width = Math.max(6, String(n).length);
	const calls = quota(n, 0.15, 5);
	const tasks = quota(n, 0.05, 10);
	const types = spread(rng, n, [['Call', calls], ['Task', tasks]], 'Appointment');
	const past = pickIndices(rng, n, quota(n, 0.03, 5));
	const cancelled = pickIndices(rng, n, quota(n, 0.03));
	const noSync = pickIndices(rng, n, quota(n, 0.1));
	const priv = pickIndices(rng, n, quota(n, 0.02, 50));
	const nonAscii = pickIndices(rng, n, quota(n, 0.15, 5));
	const appointmentIdx = types.flatMap((t, i) => (t === 'Appointment' ? [i] : []));
	const allDay = new Set(pickFrom(rng, appointmentIdx, quota(appointmentIdx.length, 0.05, 10)));
	const foreignOrganizer = pickIndices(rng, n, quota(n, 0.15, 5));
	const nonSyncEmployees = [people.inactive, people.noMailbox, ...people.others];
	const contactsWithEmail = contactRefs.filter((c) => c.email);
	const externalCount = Math.max(5, Math.ceil(n / 20));
	const perActivity = Math.max(1, options.attendeesPerActivity);

	const summary: TenantSummary['activities'] = {
		total: n,
		byType: { Appointment: 0, Call: 0, Task: 0 },
		synchronize: 0,
		cancelled: 0,
		allDay: 0,
		past: 0,
		private: 0,
		nonAsciiSubject: 0,
		organizerNotSyncUser: 0,
		attendees: 0,
		attendeesByType: { Employee: 0, Contact: 0, Other: 0 },
		invited: 0,
	};
	const activities: Array<LnRow & { Attendees: LnRow[] }> = [];
	for (let i = 0; i < n; i++) {
		const type = types[i];
		const isAllDay = allDay.has(i);
		let start: number;
		let end: number;
		if (isAllDay) {
			start = past.has(i) ? clock.pastMidnight(rng) : clock.futureMidnight(rng);
			end = start + DAY;
		} else {
			const duration = rng.int(2, 8) * QUARTER; // 30–120 min
			start = past.has(i) ? clock.pastStart(rng) : clock.futureStart(rng, duration);
			end = start + duration;
		}

		// Attendees: organizer first, then employees, contacts and externals without repeats.
		const organizer = foreignOrganizer.has(i) || people.sync.length === 0 ? rng.pick(nonSyncEmployees) : rng.pick(people.sync);
		const attendees: LnRow[] = [
			{
				Sequence: 1,
				Attendance: 'MeetingOrganizer',
				AttendeeType: 'Employee',
				Attendee: organizer.employee,
				FullName: organizer.name,
				Email: organizer.lnEmail,
				Invite: NO,
				Synchronized: NO,
				SentToSynchronizer: NO,
				AttendanceStatus: 'None',
			},
		];
		const seen = new Set([`E:${organizer.employee}`]);
		let firstContact: ContactRef | undefined;
		for (let attempt = 0; attendees.length < perActivity && attempt < perActivity * 4; attempt++) {
			const roll = rng.next();
			let row: LnRow | undefined;
			let key: string;
			let invite = rng.chance(0.9);
			if (roll < 0.4 && people.sync.length > 0) {
				const p = rng.pick(people.sync);
				key = `E:${p.employee}`;
				row = { AttendeeType: 'Employee', Attendee: p.employee, FullName: p.name, Email: p.lnEmail };
			} else if (roll < 0.8 && contactsWithEmail.length > 0) {
				const c = contactsWithEmail[rng.int(0, contactsWithEmail.length - 1)];
				key = `C:${c.id}`;
				// LN refuses to invite a contact that opted out.
				if (c.optedOut) invite = false;
				firstContact ??= c;
				row = { AttendeeType: 'Contact', Attendee: c.id, FullName: c.fullName, Email: c.email };
			} else {
				const x = rng.int(1, externalCount);
				key = `X:${x}`;
				row = { AttendeeType: 'Other', Attendee: '', FullName: `External ${x}`, Email: `ext${x}@${EXTERNAL_DOMAIN}` };
			}
			if (seen.has(key)) continue;
			seen.add(key);
			attendees.push({
				Sequence: attendees.length + 1,
				Attendance: rng.chance(0.8) ? 'Required' : 'Optional',
				...row,
				Invite: invite ? YES : NO,
				Synchronized: NO,
				SentToSynchronizer: NO,
				AttendanceStatus: 'None',
			});
		}

		const values = { bp: firstContact?.partnerName ?? contactRefs[i % Math.max(1, contactRefs.length)]?.partnerName, contact: firstContact?.fullName };
		let subject: string;
		if (nonAscii.has(i)) subject = fill(rng.pick(ACTIVITY_SUBJECTS_NON_ASCII), values);
		else if (type === 'Call') subject = fill(rng.pick(CALL_SUBJECTS), values);
		else if (type === 'Task') subject = fill(rng.pick(TASK_SUBJECTS), values);
		else subject = fill(rng.pick(ACTIVITY_SUBJECTS), values);
		if (isAllDay) subject = `${subject} (all day)`;

		const status = cancelled.has(i) ? 'Cancelled' : 'Planned';
		const sensitivity = priv.has(i) ? 'Private' : 'Normal';
		const synchronize = noSync.has(i) ? NO : YES;
		const reminder = rng.chance(0.7);
		activities.push({
			Activity: `ACT${pad(i + 1, width)}`,
			Type: type,
			Subject: subject,
			StartDate: lnDate(start),
			EndDate: lnDate(end),
			AllDay: isAllDay ? YES : NO,
			Location: type === 'Appointment' ? rng.pick(LOCATIONS) : '',
			ShowTimeAs: isAllDay ? 'OutOfOffice' : rng.chance(0.9) ? 'Busy' : 'Tentative',
			Reminder: reminder ? YES : NO,
			ReminderMinutes: reminder ? rng.pick([5, 10, 15, 30]) : 0,
			Text: rng.pick(ACTIVITY_TEXTS),
			Status: status,
			Synchronize: synchronize,
			Sensitivity: sensitivity,
			Reference: '',
			LastModifiedDate: lnDate(floorTo(clock.now, 1000) - rng.int(1, 60 * 24) * HOUR),
			Attendees: attendees,
		});

		summary.byType[type]++;
		if (synchronize === YES) summary.synchronize++;
		if (status === 'Cancelled') summary.cancelled++;
		if (isAllDay) summary.allDay++;
		if (end < clock.now) summary.past++;
		if (sensitivity === 'Private') summary.private++;
		if (hasNonAscii(subject)) summary.nonAsciiSubject++;
		if (!organizer.user || organizer === people.inactive || organizer === people.noMailbox) summary.organizerNotSyncUser++;
		summary.attendees += attendees.length;
		for (const a of attendees) {
			summary.attendeesByType[a.AttendeeType as 'Employee' | 'Contact' | 'Other']++;
			if (a.Invite === YES) summary.invited++;
		}
	}
	return { activities, summary };
}

// ---- Graph events ---------------------------------------------------------------------------------

type EventKind = 'series' | 'allDay' | 'meeting' | 'appointment';

function buildEvents(options: Required<GeneratorOptions>, people: People, contactRefs: ContactRef[], clock: Clock) {
	const rng = rngFor(options.seed, 'events');
	const n = options.events;
	const owners = people.sync;
	const byMailbox: Record<string, Event[]> = {};
	const summary: TenantSummary['events'] = {
		total: 0,
		meetings: 0,
		appointments: 0,
		allDay: 0,
		private: 0,
		otherTimeZone: 0,
		recurringSeries: 0,
		recurringOccurrences: 0,
		past: 0,
		nonAsciiSubject: 0,
		internalAttendees: 0,
		externalAttendees: 0,
		byMailbox: {},
	};
	if (owners.length === 0 || n === 0) return { byMailbox, summary };

	const kinds = spread<EventKind>(rng, n, [['series', quota(n, 0.03)], ['allDay', quota(n, 0.07)], ['meeting', Math.round(n * 0.5)]], 'appointment');
	const singles = kinds.flatMap((k, i) => (k === 'series' ? [] : [i]));
	const timed = kinds.flatMap((k, i) => (k === 'allDay' ? [] : [i]));
	const past = new Set(pickFrom(rng, singles, quota(n, 0.03)));
	const otherZone = new Set(pickFrom(rng, timed, quota(n, 0.05)));
	const priv = pickIndices(rng, n, quota(n, 0.05));
	const nonAscii = pickIndices(rng, n, quota(n, 0.15, 5));
	const contactsWithEmail = contactRefs.filter((c) => c.email);
	const externalCount = Math.max(5, Math.ceil(n / 40));

	for (let i = 0; i < n; i++) {
		const kind = kinds[i];
		const owner = owners[rng.int(0, owners.length - 1)];
		const mailbox = owner.mailbox!;
		const zone = otherZone.has(i) ? rng.pick(OTHER_TIME_ZONES) : { windows: 'UTC', iana: 'UTC' };
		const isPast = past.has(i);

		let start: number;
		let end: number;
		if (kind === 'allDay') {
			start = isPast ? clock.pastMidnight(rng) : clock.futureMidnight(rng);
			end = start + (rng.chance(0.15) ? 2 : 1) * DAY;
			if (!isPast && end > clock.end) end = start + DAY;
		} else {
			const duration = rng.pick(DURATIONS_EVENT) * MINUTE;
			// A series starts in the first half of the window so that most occurrences fall inside it.
			start = isPast ? clock.pastStart(rng) : clock.futureStart(rng, duration, kind === 'series' ? 0.5 : 1);
			end = start + duration;
		}

		let subject: string;
		if (nonAscii.has(i)) subject = rng.pick(EVENT_SUBJECTS_NON_ASCII);
		else if (kind === 'allDay') subject = rng.pick(ALL_DAY_SUBJECTS);
		else subject = rng.pick(EVENT_SUBJECTS);

		const event: Event = {
			subject,
			body: rng.chance(0.2)
				? { contentType: 'html', content: `<p>${subject}</p><p>Agenda follows.</p>` }
				: { contentType: 'text', content: rng.chance(0.5) ? `Notes for ${subject}.` : '' },
			start: { dateTime: wallClock(start, zone.iana), timeZone: zone.windows },
			end: { dateTime: wallClock(end, zone.iana), timeZone: zone.windows },
			isAllDay: kind === 'allDay',
			showAs: kind === 'allDay' ? 'oof' : rng.chance(0.85) ? 'busy' : rng.pick(['tentative', 'free', 'workingElsewhere'] as const),
			sensitivity: priv.has(i) ? 'private' : 'normal',
			isReminderOn: kind !== 'allDay' && rng.chance(0.8),
			reminderMinutesBeforeStart: 15,
		};
		if (kind !== 'allDay' && rng.chance(0.7)) event.location = { displayName: rng.pick(EVENT_LOCATIONS) };

		const withAttendees = kind === 'meeting' || (kind === 'series' && rng.chance(0.5));
		if (withAttendees) {
			const count = rng.int(1, 4);
			const seen = new Set([mailbox]);
			const attendees: NonNullable<Event['attendees']> = [];
			for (let attempt = 0; attendees.length < count && attempt < count * 4; attempt++) {
				const roll = rng.next();
				let address: string;
				let name: string;
				let internal = false;
				if (roll < 0.5 && owners.length > 1) {
					const p = owners[rng.int(0, owners.length - 1)];
					address = p.mailbox!;
					name = p.name;
					internal = true;
				} else if (roll < 0.7 && contactsWithEmail.length > 0) {
					const c = contactsWithEmail[rng.int(0, contactsWithEmail.length - 1)];
					address = c.email;
					name = c.fullName;
				} else {
					const x = rng.int(1, externalCount);
					address = `ext${x}@${EXTERNAL_DOMAIN}`;
					name = `External ${x}`;
				}
				if (seen.has(address)) continue;
				seen.add(address);
				attendees.push({ type: rng.chance(0.8) ? 'required' : 'optional', emailAddress: { address, name } });
				if (internal) summary.internalAttendees++;
				else summary.externalAttendees++;
			}
			event.attendees = attendees;
		}

		if (kind === 'series') {
			const occurrences = rng.int(4, 8);
			const local = zone.iana === 'UTC' ? new Date(start) : undefined;
			const dt = local ? undefined : DateTime.fromMillis(start, { zone: zone.iana });
			const startDate = local ? local.toISOString().slice(0, 10) : dt!.toFormat('yyyy-MM-dd');
			const weekday = local ? local.getUTCDay() : dt!.weekday % 7;
			event.recurrence = {
				pattern: { type: 'weekly', interval: 1, daysOfWeek: [DAYS[weekday] as 'monday'], firstDayOfWeek: 'monday' },
				range: { type: 'numbered', startDate, numberOfOccurrences: occurrences, recurrenceTimeZone: zone.windows },
			};
			summary.recurringSeries++;
			summary.recurringOccurrences += occurrences;
		}

		(byMailbox[mailbox] ??= []).push(event);
		summary.total++;
		summary.byMailbox[mailbox] = (summary.byMailbox[mailbox] ?? 0) + 1;
		if (kind === 'meeting') summary.meetings++;
		if (kind === 'appointment') summary.appointments++;
		if (kind === 'allDay') summary.allDay++;
		if (event.sensitivity === 'private') summary.private++;
		if (zone.iana !== 'UTC') summary.otherTimeZone++;
		if (end < clock.now) summary.past++;
		if (hasNonAscii(subject)) summary.nonAsciiSubject++;
	}
	return { byMailbox, summary };
}

// ---- the tenant -----------------------------------------------------------------------------------

function count(value: unknown, name: string): number {
	const n = Number(value ?? 0);
	if (!Number.isInteger(n) || n < 0) throw new Error(`generateTenant: ${name} must be a whole number ≥ 0, not ${JSON.stringify(value)}`);
	return n;
}

/** Generates a tenant for both emulators; same options → the same output, byte for byte. */
export function generateTenant(input: GeneratorOptions): GeneratedTenant {
	const options: Required<GeneratorOptions> = {
		seed: input.seed ?? 1,
		now: input.now,
		company: input.company ?? '100',
		users: count(input.users, 'users'),
		contacts: count(input.contacts, 'contacts'),
		activities: count(input.activities, 'activities'),
		attendeesPerActivity: count(input.attendeesPerActivity ?? DEFAULT_ATTENDEES_PER_ACTIVITY, 'attendeesPerActivity'),
		events: count(input.events, 'events'),
		horizonDays: input.horizonDays ?? DEFAULT_HORIZON_DAYS,
	};
	if (!(options.horizonDays >= 1)) throw new Error(`generateTenant: horizonDays must be at least 1, not ${input.horizonDays}`);
	const clock = new Clock(options.now, options.horizonDays);
	const people = buildPeople(options);
	const contacts = buildContacts(options);
	const activities = buildActivities(options, people, contacts.refs, clock);
	const events = buildEvents(options, people, contacts.refs, clock);

	const syncUsers: LnRow[] = people.sync.map((p) => ({
		User: p.user,
		Name: p.name,
		Email: p.lnEmail,
		Active: YES,
		Employee: p.employee,
		EmployeeEmail: p.lnEmail,
	}));
	syncUsers.push(
		{ User: people.inactive.user, Name: people.inactive.name, Email: people.inactive.lnEmail, Active: NO, Employee: people.inactive.employee, EmployeeEmail: people.inactive.lnEmail },
		{ User: people.noMailbox.user, Name: people.noMailbox.name, Email: people.noMailbox.lnEmail, Active: YES, Employee: people.noMailbox.employee, EmployeeEmail: people.noMailbox.lnEmail },
	);
	const graphUsers: GraphSeedUser[] = [...people.sync, people.inactive].map((p) => ({ mail: p.mailbox!, displayName: p.name }));

	const ln: LnSeed = {
		defaultCompany: options.company,
		companies: {
			[options.company]: {
				syncUsers,
				businessPartners: contacts.businessPartners,
				addresses: contacts.addresses,
				contacts: contacts.contacts,
				activities: activities.activities,
			},
		},
	};
	const graph: GraphSeed = { users: graphUsers, events: events.byMailbox };
	const summary: TenantSummary = {
		seed: options.seed,
		now: new Date(clock.now).toISOString(),
		company: options.company,
		horizonDays: options.horizonDays,
		window: { start: new Date(clock.now).toISOString(), end: new Date(clock.end).toISOString() },
		users: {
			sync: people.sync.length,
			mixedCaseEmails: people.mixedCaseEmails,
			notSync: [
				{ user: people.inactive.user!, email: people.inactive.lnEmail, employee: people.inactive.employee, reason: 'inactive' },
				{ user: people.noMailbox.user!, email: people.noMailbox.lnEmail, employee: people.noMailbox.employee, reason: 'noMailbox' },
			],
			otherEmployees: people.others.length,
			graphUsers: graphUsers.length,
		},
		contacts: contacts.summary,
		activities: activities.summary,
		events: events.summary,
	};
	return { ln, graph, summary };
}

/** Options of a named size. */
export function sizeOptions(size: SizeName): { users: number; contacts: number; activities: number; events: number } {
	const preset = SIZES[size];
	if (!preset) throw new Error(`Unknown size "${size}"; expected one of ${Object.keys(SIZES).join(', ')}`);
	return { ...preset };
}

// ---- mutations for benchmarks ---------------------------------------------------------------------

export interface MutateOptions {
	/** Share of the records to change on each side, e.g. 0.01. */
	share: number;
	seed: number;
	company: string;
	/** ISO instant: only items that end after it are changed or created. */
	now: string;
	/** Window for new events; default 90 days. */
	horizonDays?: number;
}

export interface MutationReport {
	ln: {
		activities: Array<{ id: string; fields: string[] }>;
		contacts: Array<{ id: string; fields: string[] }>;
	};
	graph: {
		updated: Array<{ mailbox: string; id: string; fields: string[] }>;
		created: Array<{ mailbox: string; id: string; subject: string }>;
	};
	counts: { lnActivities: number; lnContacts: number; graphUpdated: number; graphCreated: number };
}

function byId(a: Record<string, unknown>, b: Record<string, unknown>): number {
	const x = String(a.id);
	const y = String(b.id);
	return x < y ? -1 : x > y ? 1 : 0;
}

const REVISION = / \[rev (\d+)\]$/;

/** `Subject` → `Subject [rev 1]` → `Subject [rev 2]` (repeated rounds do not grow the subject). */
function revised(subject: string): string {
	const match = REVISION.exec(subject);
	const next = match ? Number(match[1]) + 1 : 1;
	return `${subject.replace(REVISION, '')} [rev ${next}]`;
}

function sharedCount(total: number, share: number): number {
	if (total === 0 || !(share > 0)) return 0;
	return Math.min(total, Math.max(1, Math.round(total * share)));
}

/**
 * Changes about `share` of the records on each side through the emulators' direct-access methods,
 * like users would between two sync runs: LN activities (subject and/or time) and contacts (job
 * title, phone, department); Graph events of sync users (subject, location) and a few new events.
 * Deterministic for the same emulator state and options.
 */
export function mutateTenant(ln: LnEmulator, graph: GraphEmulator, options: MutateOptions): MutationReport {
	const rng = rngFor(options.seed, `mutate:${options.share}`);
	const now = Date.parse(options.now);
	if (Number.isNaN(now)) throw new Error(`mutateTenant: "now" is not an ISO instant: ${JSON.stringify(options.now)}`);
	const clock = new Clock(options.now, options.horizonDays ?? DEFAULT_HORIZON_DAYS);
	const report: MutationReport = {
		ln: { activities: [], contacts: [] },
		graph: { updated: [], created: [] },
		counts: { lnActivities: 0, lnContacts: 0, graphUpdated: 0, graphCreated: 0 },
	};

	// LN activities that have not ended.
	const activities = ln
		.list(options.company, 'activities')
		.filter((a) => typeof a.end === 'string' && Date.parse(a.end as string) >= now)
		.sort(byId);
	for (const activity of pickFrom(rng, activities, sharedCount(activities.length, options.share))) {
		const mode = rng.int(0, 2);
		const changes: Record<string, unknown> = {};
		if (mode !== 1) changes.subject = revised(String(activity.subject ?? ''));
		if (mode !== 0 && typeof activity.start === 'string') {
			const shift = activity.allDay === YES ? DAY : HOUR;
			changes.start = lnDate(Date.parse(activity.start) + shift);
			changes.end = lnDate(Date.parse(activity.end as string) + shift);
		}
		ln.update(options.company, 'activities', String(activity.id), changes);
		report.ln.activities.push({ id: String(activity.id), fields: Object.keys(changes) });
	}

	const contacts = ln.list(options.company, 'contacts').sort(byId);
	for (const contact of pickFrom(rng, contacts, sharedCount(contacts.length, options.share))) {
		const changes: Record<string, unknown> = {};
		switch (rng.int(0, 2)) {
			case 0:
				changes.jobTitle = rng.pick(JOB_TITLES.filter((t) => t !== contact.jobTitle));
				break;
			case 1:
				changes.officePhone = `+1 555 ${pad(rng.int(0, 9999), 4)} ${pad(rng.int(0, 999), 3)}`;
				break;
			default:
				changes.department = rng.pick(DEPARTMENTS.filter((d) => d !== contact.department && d !== ''));
				changes.mobilePhone = `+1 555 ${pad(rng.int(0, 9999), 4)} ${pad(rng.int(0, 999), 3)}`;
		}
		ln.update(options.company, 'contacts', String(contact.id), changes);
		report.ln.contacts.push({ id: String(contact.id), fields: Object.keys(changes) });
	}

	// Graph: the mailboxes of active sync users.
	const syncMails = new Set(
		ln
			.list(options.company, 'syncUsers')
			.filter((u) => u.active === YES)
			.map((u) => String(u.email).toLowerCase()),
	);
	const state = graph.state() as { users: Array<{ mail: string; accessDenied?: boolean }> };
	const mailboxes = state.users
		.filter((u) => !u.accessDenied && syncMails.has(u.mail.toLowerCase()))
		.map((u) => u.mail)
		.sort();
	const candidates: Array<{ mailbox: string; event: Event }> = [];
	for (const mailbox of mailboxes) {
		for (const event of graph.events(mailbox)) {
			if (!event.isOrganizer || (event.type !== 'singleInstance' && event.type !== 'seriesMaster')) continue;
			const endMs = Date.parse(`${(event.end?.dateTime ?? '').slice(0, 19)}Z`);
			if (!(endMs >= now)) continue;
			candidates.push({ mailbox, event });
		}
	}
	for (const { mailbox, event } of pickFrom(rng, candidates, sharedCount(candidates.length, options.share))) {
		const changes: Partial<Event> = { subject: revised(event.subject ?? ''), location: { displayName: rng.pick(EVENT_LOCATIONS) } };
		graph.updateEvent(mailbox, event.id!, changes);
		report.graph.updated.push({ mailbox, id: event.id!, fields: Object.keys(changes) });
	}
	const newCount = mailboxes.length === 0 ? 0 : Math.max(1, Math.round(candidates.length * options.share * 0.25));
	for (let i = 0; i < newCount && options.share > 0; i++) {
		const mailbox = rng.pick(mailboxes);
		const duration = rng.pick(DURATIONS_EVENT) * MINUTE;
		const start = clock.futureStart(rng, duration);
		const subject = `${rng.pick([...EVENT_SUBJECTS, ...EVENT_SUBJECTS_NON_ASCII])} (new ${options.seed}-${i + 1})`;
		const created = graph.createEvent(mailbox, {
			subject,
			start: { dateTime: wallClock(start, 'UTC'), timeZone: 'UTC' },
			end: { dateTime: wallClock(start + duration, 'UTC'), timeZone: 'UTC' },
			showAs: 'busy',
			sensitivity: 'normal',
		});
		report.graph.created.push({ mailbox, id: created.id!, subject });
	}

	report.counts = {
		lnActivities: report.ln.activities.length,
		lnContacts: report.ln.contacts.length,
		graphUpdated: report.graph.updated.length,
		graphCreated: report.graph.created.length,
	};
	return report;
}
