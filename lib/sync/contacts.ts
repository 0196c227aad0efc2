import { createHash } from 'node:crypto';

import type { Contact } from '@microsoft/microsoft-graph-types';

import { hashCanonical, isValidEmail, normalizeText } from './canonical';
import { BUSINESS_FAX_PROPERTY, contactKey, LN_KEY_PROPERTY, LN_STATE_PROPERTY, type ExtendedProperty } from './link';
import type { LnContact } from './model';

/** Outlook shows at most this much of a note; longer LN texts are cut with a warning. */
export const NOTES_MAX = 32_000;
const FIELD_MAX = 255;

export interface MappedContact {
	key: string;
	contactId: string;
	/** The Graph contact body (without our extended properties). */
	body: Contact & { singleValueExtendedProperties?: ExtendedProperty[] };
	hash: string;
	warnings: string[];
}

export class ContactDataError extends Error {}

function clip(value: string | undefined, label: string, contact: string, warnings: string[], max = FIELD_MAX): string | undefined {
	const text = normalizeText(value);
	if (text === '') return undefined;
	if (text.length > max) {
		warnings.push(`Contact ${contact}: field ${label} has ${text.length} characters; cut to ${max}`);
		return text.slice(0, max);
	}
	return text;
}

function phone(value: string | undefined, label: string, contact: string, warnings: string[]): string | undefined {
	const text = clip(value, label, contact, warnings, 64);
	if (text && !/\d/.test(text)) {
		warnings.push(`Contact ${contact}: field ${label} "${text}" has no digits; written as given`);
	}
	return text;
}

/**
 * The Graph contact for an LN contact (field map). Throws ContactDataError, naming the
 * contact and the field, when the record cannot become a usable contact.
 */
export function mapContact(contact: LnContact): MappedContact {
	const warnings: string[] = [];
	const id = contact.id;
	if (!id) throw new ContactDataError('A contact without a Contact code cannot be synchronized');
	const givenName = clip(contact.firstName, 'firstName', id, warnings);
	const surname = clip(contact.lastName, 'lastName', id, warnings);
	const middleName = clip(contact.middleName, 'middleName', id, warnings);
	let email = normalizeText(contact.email);
	if (email && !isValidEmail(email)) {
		warnings.push(`Contact ${id}: field email "${email}" is not a valid address; written without it`);
		email = '';
	}
	const displayName =
		clip(contact.fullName, 'fullName', id, warnings) ??
		([givenName, middleName, surname].filter(Boolean).join(' ') || email || undefined);
	if (!displayName) {
		throw new ContactDataError(`Contact ${id}: fields firstName, lastName, fullName and email are all empty; nothing to show in Outlook`);
	}
	let notes = String(contact.text ?? '').replace(/\u0000/g, '').replace(/\r\n?/g, '\n').trim();
	if (notes.length > NOTES_MAX) {
		warnings.push(`Contact ${id}: field text has ${notes.length} characters; cut to ${NOTES_MAX}`);
		notes = notes.slice(0, NOTES_MAX);
	}
	const address = contact.workAddress;
	const street = [address?.street, address?.houseNumber].map((p) => normalizeText(p)).filter(Boolean).join(' ');
	const body: MappedContact['body'] = {
		givenName: givenName ?? '',
		surname: surname ?? '',
		middleName: middleName ?? '',
		displayName,
		title: clip(contact.title, 'title', id, warnings) ?? '',
		jobTitle: clip(contact.jobTitle, 'jobTitle', id, warnings) ?? '',
		department: clip(contact.department, 'department', id, warnings) ?? '',
		companyName: clip(contact.businessPartnerName ?? contact.businessPartner, 'businessPartner', id, warnings) ?? '',
		emailAddresses: email ? [{ address: email, name: displayName }] : [],
		businessPhones: [phone(contact.officePhone, 'officePhone', id, warnings)].filter((p): p is string => Boolean(p)),
		homePhones: [phone(contact.homePhone, 'homePhone', id, warnings)].filter((p): p is string => Boolean(p)),
		mobilePhone: phone(contact.mobilePhone, 'mobilePhone', id, warnings) ?? '',
		businessHomePage: clip(contact.website, 'website', id, warnings) ?? '',
		personalNotes: notes,
		businessAddress: {
			street,
			city: normalizeText(address?.city),
			state: normalizeText(address?.state),
			postalCode: normalizeText(address?.postalCode),
			countryOrRegion: normalizeText(address?.country),
		},
	};
	const fax = phone(contact.fax, 'fax', id, warnings);
	const hash = hashCanonical({ ...body, fax: fax ?? '' } as Record<string, unknown>);
	body.singleValueExtendedProperties = [{ id: BUSINESS_FAX_PROPERTY, value: fax ?? '' }];
	return { key: contactKey(contact.company, id), contactId: id, body, hash, warnings };
}

/** A contact in the target folder, with our properties read. */
export interface FolderContact {
	id: string;
	key?: string;
	hash?: string;
}

export interface ContactPlan {
	creates: MappedContact[];
	updates: Array<MappedContact & { id: string }>;
	removes: Array<{ id: string; key: string; reason: string }>;
	unchanged: Array<{ id: string; key: string }>;
	failures: Array<{ key: string; contactId: string; reason: string }>;
	/** Contacts in the folder that we did not create: never touched. */
	foreign: number;
	brake?: { removals: number; linked: number; share: number };
	warnings: Array<{ contactId: string; message: string }>;
	/** Digest of the contact set this plan leads to. */
	digest: string;
}

export interface ContactPlanOptions {
	brakeShare: number;
	brakeMinimum: number;
	/**
	 * The contacts given are every LN contact to synchronize. Only then may a linked contact missing
	 * from them be removed: a partial read (e.g. "changed since") says nothing about the others.
	 */
	complete: boolean;
}

/** Digest of a desired contact set: equal sets give equal digests, whatever their order. */
export function contactSetDigest(contacts: Array<{ key: string; hash: string }>): string {
	const lines = contacts.map((c) => `${c.key}=${c.hash}`).sort();
	return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}

/**
 * The LN contacts to synchronize, mapped once: every mailbox's folder gets the same set, so a run maps
 * and hashes each contact once, not once per mailbox.
 */
export interface WantedContacts {
	desired: Map<string, MappedContact>;
	failures: ContactPlan['failures'];
	warnings: ContactPlan['warnings'];
	/** Digest of the set (see contactSetDigest). */
	digest: string;
}

export function wantedContacts(contacts: LnContact[]): WantedContacts {
	const wanted: WantedContacts = { desired: new Map(), failures: [], warnings: [], digest: '' };
	for (const contact of contacts) {
		if (!contact.synchronize || !contact.active) continue;
		try {
			const mapped = mapContact(contact);
			if (wanted.desired.has(mapped.key)) {
				wanted.warnings.push({ contactId: contact.id, message: `Contact ${contact.id} appears twice in the input; written once` });
				continue;
			}
			wanted.desired.set(mapped.key, mapped);
			for (const message of mapped.warnings) wanted.warnings.push({ contactId: contact.id, message });
		} catch (error) {
			wanted.failures.push({ key: contactKey(contact.company, contact.id), contactId: contact.id, reason: (error as Error).message });
		}
	}
	wanted.digest = contactSetDigest([...wanted.desired.values()]);
	return wanted;
}

/**
 * What to do so the folder holds exactly the LN contacts given: create missing ones, update those
 * whose content hash differs, remove linked contacts no longer wanted (subject to the brake), and
 * leave contacts we did not create alone.
 */
export function planContacts(contacts: WantedContacts | LnContact[], existing: FolderContact[], options: ContactPlanOptions): ContactPlan {
	const wanted = Array.isArray(contacts) ? wantedContacts(contacts) : contacts;
	const desired = wanted.desired;
	const plan: ContactPlan = { creates: [], updates: [], removes: [], unchanged: [], failures: [...wanted.failures], foreign: 0, warnings: [...wanted.warnings], digest: wanted.digest };
	const failed = new Set(wanted.failures.map((f) => f.key));
	const byKey = new Map<string, FolderContact[]>();
	for (const item of existing) {
		if (!item.key) {
			plan.foreign++;
			continue;
		}
		byKey.set(item.key, [...(byKey.get(item.key) ?? []), item]);
	}
	let linked = 0;
	for (const [key, items] of byKey) {
		linked += items.length;
		const mapped = desired.get(key);
		const [first, ...duplicates] = items;
		for (const duplicate of duplicates) plan.removes.push({ id: duplicate.id, key, reason: 'duplicate of the same LN contact' });
		if (!mapped) {
			// A failed record stays as it is: bad data in LN never removes what Exchange has.
			if (failed.has(key) || !options.complete) continue;
			plan.removes.push({ id: first.id, key, reason: 'no longer marked Synchronize, inactive or deleted in LN' });
		} else if (first.hash === mapped.hash) {
			plan.unchanged.push({ id: first.id, key });
		} else {
			plan.updates.push({ ...mapped, id: first.id });
		}
	}
	for (const [key, mapped] of desired) if (!byKey.has(key)) plan.creates.push(mapped);
	const removals = plan.removes.filter((r) => r.reason !== 'duplicate of the same LN contact');
	if (removals.length >= options.brakeMinimum && removals.length > options.brakeShare * linked) {
		plan.brake = { removals: removals.length, linked, share: options.brakeShare };
		plan.removes = plan.removes.filter((r) => r.reason === 'duplicate of the same LN contact');
	}
	return plan;
}

/** The properties that mark a contact as ours, with the content hash. */
export function contactLinkProperties(mapped: MappedContact): ExtendedProperty[] {
	return [
		{ id: LN_KEY_PROPERTY, value: mapped.key },
		{ id: LN_STATE_PROPERTY, value: `ln|${mapped.hash}|0` },
	];
}
