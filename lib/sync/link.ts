import type { Origin } from './model';

/**
 * The link between an LN record and an Exchange item lives on the Exchange item, in two
 * single-value extended properties under one GUID of ours (two named properties per mailbox, never
 * one per record): the LN key and the state at the last sync.
 */
export const PROPERTY_SET = '{7C4C1E52-0B7A-4F61-9D3E-2F8B5A6C1D40}';
export const LN_KEY_PROPERTY = `String ${PROPERTY_SET} Name LnKey`;
export const LN_STATE_PROPERTY = `String ${PROPERTY_SET} Name LnState`;
/** On a contact folder: digest of the contact set last written, and when. */
export const LN_DIGEST_PROPERTY = `String ${PROPERTY_SET} Name LnDigest`;
/** On a series master: the LN activities of its occurrences. */
export const LN_OCCURRENCES_PROPERTY = `String ${PROPERTY_SET} Name LnOccurrences`;
/** Outlook's business fax number (a predefined MAPI property; Graph's contact has no fax field). */
export const BUSINESS_FAX_PROPERTY = 'String 0x3A24';

export interface ExtendedProperty {
	id: string;
	value: string;
}

export function activityKey(company: string, activity: string): string {
	return `ln:${company}:activity:${activity}`;
}

export function contactKey(company: string, contact: string): string {
	return `ln:${company}:contact:${contact}`;
}

export function seriesKey(company: string): string {
	return `ln:${company}:series`;
}

/** Prefix of every key of one company and kind, for `startswith` filters. */
export function keyPrefix(company: string, kind: 'activity' | 'contact' | 'series'): string {
	return kind === 'series' ? seriesKey(company) : `ln:${company}:${kind}:`;
}

export interface ParsedKey {
	company: string;
	kind: 'activity' | 'contact' | 'series';
	id: string;
}

export function parseKey(value: string | undefined | null): ParsedKey | undefined {
	const match = /^ln:(\d{1,4}):(activity|contact):(.+)$/.exec(String(value ?? ''));
	if (match) return { company: match[1], kind: match[2] as 'activity' | 'contact', id: match[3] };
	const series = /^ln:(\d{1,4}):series$/.exec(String(value ?? ''));
	if (series) return { company: series[1], kind: 'series', id: '' };
	return undefined;
}

export interface LinkState {
	origin: Origin;
	/** Content hash of what both sides held after the last sync. */
	hash: string;
	/** When the link was written (epoch seconds); guards against removing a link made during this run. */
	linkedAt: number;
}

export function encodeState(state: LinkState): string {
	return `${state.origin}|${state.hash}|${Math.floor(state.linkedAt)}`;
}

export function decodeState(value: string | undefined | null): LinkState | undefined {
	const match = /^(ln|exchange)\|([0-9a-f]{8,64})\|(\d+)$/.exec(String(value ?? ''));
	if (!match) return undefined;
	return { origin: match[1] as Origin, hash: match[2], linkedAt: Number(match[3]) };
}

/** Occurrence links on a series master: occurrence iCalUId → LN activity and hash. */
export interface OccurrenceLink {
	iCalUId: string;
	/** Immutable id of the occurrence when linked (to resolve a delta @removed). */
	eventId?: string;
	activity: string;
	hash: string;
}

export function encodeOccurrences(links: OccurrenceLink[]): string {
	return JSON.stringify(links.map((l) => [l.iCalUId, l.eventId ?? '', l.activity, l.hash]));
}

export function decodeOccurrences(value: string | undefined | null): OccurrenceLink[] {
	if (!value) return [];
	try {
		const parsed = JSON.parse(value) as unknown;
		if (!Array.isArray(parsed)) return [];
		return parsed
			.filter(
				(row): row is [string, string, string, string] =>
					Array.isArray(row) && row.length === 4 && row.every((cell) => typeof cell === 'string'),
			)
			.map(([iCalUId, eventId, activity, hash]) => ({ iCalUId, eventId: eventId || undefined, activity, hash }));
	} catch {
		return [];
	}
}

export function propertyValue(properties: ExtendedProperty[] | undefined | null, id: string): string | undefined {
	// Graph compares the name part of the id case-sensitively; the GUID may differ in case.
	return properties?.find((p) => p.id.toLowerCase() === id.toLowerCase())?.value;
}

/** `$expand` clause that returns our properties with an item. */
export function expandOurProperties(...ids: string[]): string {
	const list = ids.length ? ids : [LN_KEY_PROPERTY, LN_STATE_PROPERTY];
	return `singleValueExtendedProperties($filter=${list.map((id) => `id eq '${id}'`).join(' or ')})`;
}

/** `$filter` clause for items linked to one company's records of a kind. */
export function linkedFilter(company: string, kind: 'activity' | 'contact'): string {
	return `singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY_PROPERTY}' and startswith(ep/value, '${keyPrefix(company, kind)}'))`;
}

/** `$filter` clause for the item linked to one key. */
export function keyFilter(key: string): string {
	return `singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY_PROPERTY}' and ep/value eq '${key.replace(/'/g, "''")}')`;
}
