import { createHmac, timingSafeEqual } from 'node:crypto';

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
	const match = /^ln:(\d{1,4}):(activity|contact):([A-Za-z0-9._-]{1,30})$/.exec(String(value ?? ''));
	if (match) return { company: match[1], kind: match[2] as 'activity' | 'contact', id: match[3] };
	const series = /^ln:(\d{1,4}):series$/.exec(String(value ?? ''));
	if (series) return { company: series[1], kind: 'series', id: '' };
	return undefined;
}

export interface LinkState {
	origin: Origin;
	/** Content hash of what both sides held after the last sync, with field digests (canonical.ts syncHash). */
	hash: string;
	/** When the link was written (epoch seconds); guards against removing a link made during this run. */
	linkedAt: number;
	/** Our signature of the link (see signLink); absent on links written before links were signed. */
	signature?: string;
}

export function encodeState(state: LinkState): string {
	return `${state.origin}|${state.hash}|${Math.floor(state.linkedAt)}${state.signature ? `|${state.signature}` : ''}`;
}

/** A link signature: which identity it covers (`u.` iCalUId, `t.` transactionId) and the MAC. */
const SIGNATURE = /^[tu]\.[A-Za-z0-9_-]{22}$/;

export function decodeState(value: string | undefined | null): LinkState | undefined {
	const match = /^(ln|exchange)\|([0-9a-f]{8,64}(?:\.[0-9a-f]{36})?)\|(\d+)(?:\|([tu]\.[A-Za-z0-9_-]{22}))?$/.exec(String(value ?? ''));
	if (!match) return undefined;
	return { origin: match[1] as Origin, hash: match[2], linkedAt: Number(match[3]), ...(match[4] ? { signature: match[4] } : {}) };
}

/**
 * Link properties are written by us, but the mailbox owner (or a delegate) can write them too:
 * they are untrusted input. Each link is signed with a key only the Graph credential gives, over the
 * LN company and activity, the mailbox and the item it sits on: its iCalUId, or for an event we
 * created, the transactionId we gave it (fixed at creation, unique in the mailbox; the iCalUId is not
 * known before the create answers). A link copied to another item or mailbox, or naming another
 * activity, no longer verifies.
 */
export interface LinkSubject {
	company: string;
	activity: string;
	mailbox: string;
	iCalUId?: string | null;
	transactionId?: string | null;
}

export type LinkTrust = 'signed' | 'unsigned' | 'mismatch';

/** The key that signs links, derived from the credential's secret material (client secret or private key). */
export function linkKey(secretMaterial: string): Buffer {
	return createHmac('sha256', secretMaterial).update('ln-exchange-sync/link/v1').digest();
}

function linkMac(key: Buffer, subject: LinkSubject, identity: string): string {
	const text = ['v1', subject.company, subject.activity, subject.mailbox.toLowerCase(), identity].join('\n');
	return createHmac('sha256', key).update(text).digest('base64url').slice(0, 22);
}

/** The signature of a link on an item identified by its iCalUId (`u.`) or, failing that, its transactionId (`t.`). */
export function signLink(key: Buffer, subject: LinkSubject, by: 'iCalUId' | 'transactionId' = subject.iCalUId ? 'iCalUId' : 'transactionId'): string {
	const identity = by === 'iCalUId' ? subject.iCalUId : subject.transactionId;
	if (!identity) throw new Error(`A link of activity ${subject.activity} needs the item's ${by} to be signed`);
	return `${by === 'iCalUId' ? 'u' : 't'}.${linkMac(key, subject, identity)}`;
}

export function verifyLink(key: Buffer, subject: LinkSubject, signature: string | undefined): LinkTrust {
	if (!signature) return 'unsigned';
	const by = signature.startsWith('u.') ? 'iCalUId' : signature.startsWith('t.') ? 'transactionId' : undefined;
	const identity = by === 'iCalUId' ? subject.iCalUId : by === 'transactionId' ? subject.transactionId : undefined;
	if (!by || !identity) return 'mismatch';
	const expected = Buffer.from(signLink(key, subject, by));
	const given = Buffer.from(signature);
	return expected.length === given.length && timingSafeEqual(expected, given) ? 'signed' : 'mismatch';
}

/** Occurrence links on a series master: occurrence iCalUId → LN activity and hash. */
export interface OccurrenceLink {
	iCalUId: string;
	/** Immutable id of the occurrence when linked (to resolve a delta @removed). */
	eventId?: string;
	activity: string;
	hash: string;
	/** signLink over the occurrence's iCalUId; absent on entries written before links were signed. */
	signature?: string;
}

export function encodeOccurrences(links: OccurrenceLink[]): string {
	return JSON.stringify(links.map((l) => [l.iCalUId, l.eventId ?? '', l.activity, l.hash, ...(l.signature ? [l.signature] : [])]));
}

export function decodeOccurrences(value: string | undefined | null): OccurrenceLink[] {
	if (!value) return [];
	try {
		const parsed = JSON.parse(value) as unknown;
		if (!Array.isArray(parsed)) return [];
		return parsed
			.filter(
				(row): row is string[] =>
					Array.isArray(row) &&
					(row.length === 4 || (row.length === 5 && SIGNATURE.test(String(row[4])))) &&
					row.every((cell) => typeof cell === 'string'),
			)
			.map(([iCalUId, eventId, activity, hash, signature]) => ({ iCalUId, eventId: eventId || undefined, activity, hash, ...(signature ? { signature } : {}) }));
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
