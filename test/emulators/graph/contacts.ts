import type { Contact, ContactFolder } from '@microsoft/microsoft-graph-types';

import { GraphError, badRequest, itemNotFound, readOnlyProperty, unknownProperty } from './errors';
import { decodeId, encodeId, newChangeKey, newKey, type ItemRef } from './ids';
import { evaluateFilter, getPath, readsOnlyExtended, type Expr, type Json } from './odata';
import {
	applyExtended,
	extendedList,
	sameExtendedId,
	type ChangeSink,
	type ContactRecord,
	type ExtendedProps,
	type FolderRecord,
	type Mailbox,
	type Store,
} from './store';
import { formatInstant } from './timezones';

/** Contacts and contact folders (Graph's `contact` and `contactFolder` resources). */

const CONTACT_TYPE = 'Microsoft.OutlookServices.Contact';
const STRING_FIELDS = [
	'assistantName', 'birthday', 'businessHomePage', 'companyName', 'department', 'displayName', 'fileAs', 'generation',
	'givenName', 'initials', 'jobTitle', 'manager', 'middleName', 'mobilePhone', 'nickName', 'officeLocation',
	'personalNotes', 'profession', 'spouseName', 'surname', 'title', 'yomiCompanyName', 'yomiGivenName', 'yomiSurname',
];
const STRING_LISTS = ['businessPhones', 'homePhones', 'imAddresses', 'children', 'categories'];
const ADDRESSES = ['businessAddress', 'homeAddress', 'otherAddress'];
const ADDRESS_FIELDS = ['street', 'city', 'state', 'postalCode', 'countryOrRegion'];
const WRITABLE = new Set([...STRING_FIELDS, ...STRING_LISTS, ...ADDRESSES, 'emailAddresses', 'singleValueExtendedProperties']);
const READ_ONLY = new Set([
	'id', 'changeKey', 'createdDateTime', 'lastModifiedDateTime', 'parentFolderId', 'photo', 'extensions',
	'multiValueExtendedProperties',
]);
const FOLDER_TYPE = 'Microsoft.OutlookServices.ContactFolder';

export interface ContactRenderOptions {
	immutable: boolean;
	extended?: Expr | true;
}

export class ContactService {
	silent = false;

	constructor(
		private readonly store: Store,
		private readonly now: () => number,
		private readonly emit: ChangeSink,
	) {}

	// -------------------------------------------------------------------------------------------
	// Folders
	// -------------------------------------------------------------------------------------------

	folderId(box: Mailbox, key: string, immutable: boolean): string {
		return encodeId({ kind: 'folder', key }, box.user.tag, immutable);
	}

	/** A folder by id (or the well-known name `contacts`). */
	folder(box: Mailbox, id: string): FolderRecord {
		if (id.toLowerCase() === 'contacts') return box.folders.get(box.defaultFolderKey)!;
		const key = this.keyOf(box, id, 'folder');
		const folder = box.folders.get(key);
		if (!folder) throw itemNotFound();
		return folder;
	}

	folderByName(box: Mailbox, name: string): FolderRecord | undefined {
		return [...box.folders.values()].find((f) => !f.isDefault && f.displayName.toLowerCase() === name.toLowerCase());
	}

	/** `/contactFolders`: the folders inside the default Contacts folder. */
	listFolders(box: Mailbox): FolderRecord[] {
		return [...box.folders.values()].filter((f) => f.parentKey === box.defaultFolderKey).sort((a, b) => a.seq - b.seq);
	}

	createFolder(box: Mailbox, body: unknown): FolderRecord {
		const input = asObject(body);
		checkFolderProperties(input, 'create');
		const name = input.displayName;
		if (typeof name !== 'string' || !name.trim()) throw new GraphError(400, 'ErrorInvalidRequest', 'The folder needs a displayName.');
		this.assertUniqueName(box, name);
		const folder: FolderRecord = {
			key: newKey(),
			mailbox: box.user.mailLower,
			seq: this.store.nextSeq(),
			displayName: name,
			parentKey: box.defaultFolderKey,
			isDefault: false,
			ext: new Map(),
			changeKey: newChangeKey(),
		};
		applyExtended(folder.ext, input.singleValueExtendedProperties);
		box.folders.set(folder.key, folder);
		return folder;
	}

	updateFolder(box: Mailbox, id: string, body: unknown): FolderRecord {
		const folder = this.folder(box, id);
		const input = asObject(body);
		checkFolderProperties(input, 'update');
		if (input.displayName !== undefined) {
			if (typeof input.displayName !== 'string' || !input.displayName.trim()) {
				throw new GraphError(400, 'ErrorInvalidRequest', 'The folder needs a displayName.');
			}
			if (folder.isDefault) throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
			if (input.displayName.toLowerCase() !== folder.displayName.toLowerCase()) this.assertUniqueName(box, input.displayName);
			folder.displayName = input.displayName;
		}
		applyExtended(folder.ext, input.singleValueExtendedProperties);
		folder.changeKey = newChangeKey();
		return folder;
	}

	deleteFolder(box: Mailbox, id: string): void {
		const folder = this.folder(box, id);
		if (folder.isDefault) throw new GraphError(400, 'ErrorDeleteDistinguishedFolder', 'Distinguished folders cannot be deleted.');
		for (const contact of [...box.contacts.values()]) {
			if (contact.folderKey === folder.key) this.deleteRecord(box, contact);
		}
		box.folders.delete(folder.key);
	}

	private assertUniqueName(box: Mailbox, name: string): void {
		if (this.folderByName(box, name)) {
			throw new GraphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
		}
	}

	renderFolder(box: Mailbox, folder: FolderRecord, opts: ContactRenderOptions): Json {
		const out: Json = {
			id: this.folderId(box, folder.key, opts.immutable),
			displayName: folder.displayName,
			parentFolderId: this.folderId(box, folder.parentKey, opts.immutable),
		};
		addExtended(out, folder.ext, opts.extended);
		return out;
	}

	// -------------------------------------------------------------------------------------------
	// Contacts
	// -------------------------------------------------------------------------------------------

	contactId(box: Mailbox, key: string, immutable: boolean): string {
		return encodeId({ kind: 'contact', key }, box.user.tag, immutable);
	}

	/** A contact by id; with `folder`, only if it is in that folder. */
	contact(box: Mailbox, id: string, folder?: FolderRecord): ContactRecord {
		const key = this.keyOf(box, id, 'contact');
		const contact = box.contacts.get(key);
		if (!contact || (folder && contact.folderKey !== folder.key)) throw itemNotFound();
		return contact;
	}

	contactByRef(box: Mailbox, ref: ItemRef): ContactRecord | undefined {
		return ref.kind === 'contact' ? box.contacts.get(ref.key) : undefined;
	}

	list(box: Mailbox, folder: FolderRecord): ContactRecord[] {
		return [...box.contacts.values()].filter((c) => c.folderKey === folder.key).sort((a, b) => a.seq - b.seq);
	}

	create(box: Mailbox, folder: FolderRecord, body: unknown): ContactRecord {
		const input = asObject(body);
		checkContactProperties(input, 'create');
		validateContact(input);
		const nowMs = this.now();
		const contact: ContactRecord = {
			key: newKey(),
			mailbox: box.user.mailLower,
			folderKey: folder.key,
			seq: this.store.nextSeq(),
			props: {},
			changeKey: newChangeKey(),
			createdMs: nowMs,
			lastModifiedMs: nowMs,
			ext: new Map(),
		};
		assignContact(contact.props, input);
		if (contact.props.displayName === undefined || contact.props.displayName === null) {
			// Exchange composes a display name when none is given.
			contact.props.displayName = [input.givenName, input.middleName, input.surname].filter((p) => typeof p === 'string' && p).join(' ');
		}
		applyExtended(contact.ext, input.singleValueExtendedProperties);
		box.contacts.set(contact.key, contact);
		this.changed(box, contact, 'created');
		return contact;
	}

	update(box: Mailbox, contact: ContactRecord, body: unknown): ContactRecord {
		const input = asObject(body);
		checkContactProperties(input, 'update');
		validateContact(input);
		if (input.singleValueExtendedProperties !== undefined) applyExtended(new Map(), input.singleValueExtendedProperties);
		assignContact(contact.props, input);
		applyExtended(contact.ext, input.singleValueExtendedProperties);
		contact.changeKey = newChangeKey();
		contact.lastModifiedMs = Math.max(this.now(), contact.lastModifiedMs);
		this.changed(box, contact, 'updated');
		return contact;
	}

	remove(box: Mailbox, contact: ContactRecord): void {
		this.deleteRecord(box, contact);
	}

	private deleteRecord(box: Mailbox, contact: ContactRecord): void {
		box.contacts.delete(contact.key);
		this.changed(box, contact, 'deleted');
	}

	private changed(box: Mailbox, contact: ContactRecord, changeType: 'created' | 'updated' | 'deleted'): void {
		if (this.silent) return;
		this.emit({
			mailbox: box.user.mailLower,
			userId: box.user.id,
			resource: 'contacts',
			ref: { kind: 'contact', key: contact.key },
			folderKey: contact.folderKey,
			changeType,
			changeKey: contact.changeKey,
		});
	}

	render(box: Mailbox, contact: ContactRecord, opts: ContactRenderOptions): Json {
		const p = contact.props;
		const str = (name: string, empty: string | null = null): unknown => (p[name] === undefined ? empty : p[name]);
		const list = (name: string): unknown => (Array.isArray(p[name]) ? [...(p[name] as unknown[])] : []);
		const address = (name: string): unknown => (p[name] && typeof p[name] === 'object' ? { ...(p[name] as Json) } : {});
		const out: Json = {
			'@odata.etag': `W/"${contact.changeKey}"`,
			id: this.contactId(box, contact.key, opts.immutable),
			createdDateTime: formatInstant(contact.createdMs),
			lastModifiedDateTime: formatInstant(contact.lastModifiedMs),
			changeKey: contact.changeKey,
			categories: list('categories'),
			parentFolderId: this.folderId(box, contact.folderKey, opts.immutable),
			birthday: str('birthday'),
			fileAs: str('fileAs', ''),
			displayName: str('displayName', ''),
			givenName: str('givenName'),
			initials: str('initials'),
			middleName: str('middleName'),
			nickName: str('nickName'),
			surname: str('surname'),
			title: str('title'),
			yomiGivenName: str('yomiGivenName'),
			yomiSurname: str('yomiSurname'),
			yomiCompanyName: str('yomiCompanyName'),
			generation: str('generation'),
			imAddresses: list('imAddresses'),
			jobTitle: str('jobTitle'),
			companyName: str('companyName'),
			department: str('department'),
			officeLocation: str('officeLocation'),
			profession: str('profession'),
			businessHomePage: str('businessHomePage'),
			assistantName: str('assistantName'),
			manager: str('manager'),
			homePhones: list('homePhones'),
			mobilePhone: str('mobilePhone'),
			businessPhones: list('businessPhones'),
			spouseName: str('spouseName'),
			personalNotes: str('personalNotes', ''),
			children: list('children'),
			emailAddresses: Array.isArray(p.emailAddresses) ? (p.emailAddresses as Json[]).map((e) => ({ ...e })) : [],
			homeAddress: address('homeAddress'),
			businessAddress: address('businessAddress'),
			otherAddress: address('otherAddress'),
		};
		addExtended(out, contact.ext, opts.extended);
		return out;
	}

	matches(box: Mailbox, contact: ContactRecord, filter: Expr, opts: ContactRenderOptions): boolean {
		// A look-up by extended property (the usual one) reads nothing else: skip rendering the rest,
		// which made such look-ups in folders of thousands of contacts the emulator's main cost.
		const item = readsOnlyExtended(filter)
			? { singleValueExtendedProperties: extendedList(contact.ext) }
			: this.render(box, contact, { ...opts, extended: true });
		return evaluateFilter(filter, item as unknown as Json, { resolve: getPath, sameExtendedId });
	}

	folderMatches(box: Mailbox, folder: FolderRecord, filter: Expr, opts: ContactRenderOptions): boolean {
		return evaluateFilter(filter, this.renderFolder(box, folder, { ...opts, extended: true }), { resolve: getPath, sameExtendedId });
	}

	toContact(box: Mailbox, contact: ContactRecord): Contact {
		return this.render(box, contact, { immutable: true, extended: true }) as Contact;
	}

	toFolder(box: Mailbox, folder: FolderRecord): ContactFolder {
		return this.renderFolder(box, folder, { immutable: true, extended: true }) as ContactFolder;
	}

	private keyOf(box: Mailbox, id: string, kind: 'contact' | 'folder'): string {
		const decoded = decodeId(id);
		if (!decoded) throw new GraphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
		if (!decoded.mailboxTag.equals(box.user.tag) || decoded.ref.kind !== kind) throw itemNotFound();
		return decoded.ref.key;
	}
}

function addExtended(out: Json, ext: ExtendedProps, wanted: Expr | true | undefined): void {
	if (wanted === undefined) return;
	const list = extendedList(ext).filter((p) =>
		wanted === true ||
		evaluateFilter(wanted, p as unknown as Json, { resolve: getPath, sameExtendedId, extendedIdAtRoot: true }),
	);
	if (list.length) out.singleValueExtendedProperties = list;
}

function asObject(body: unknown): Json {
	if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Empty Payload. JSON content expected.');
	return body as Json;
}

function checkContactProperties(input: Json, mode: 'create' | 'update'): void {
	for (const key of Object.keys(input)) {
		if (key.startsWith('@') || WRITABLE.has(key)) continue;
		if (READ_ONLY.has(key)) {
			if (mode === 'update') throw readOnlyProperty(key);
			continue;
		}
		throw unknownProperty(key, CONTACT_TYPE);
	}
}

function checkFolderProperties(input: Json, mode: 'create' | 'update'): void {
	for (const key of Object.keys(input)) {
		if (key.startsWith('@') || key === 'displayName' || key === 'singleValueExtendedProperties') continue;
		if (['id', 'parentFolderId', 'childFolders', 'contacts'].includes(key)) {
			if (mode === 'update') throw readOnlyProperty(key);
			continue;
		}
		throw unknownProperty(key, FOLDER_TYPE);
	}
}

function validateContact(input: Json): void {
	const typeError = (name: string, type: string): GraphError =>
		badRequest(`Cannot convert the value of property '${name}' to the expected type '${type}'.`, 'RequestBodyRead');
	for (const name of STRING_FIELDS) {
		const v = input[name];
		if (v !== undefined && v !== null && typeof v !== 'string') throw typeError(name, 'Edm.String');
	}
	for (const name of STRING_LISTS) {
		const v = input[name];
		if (v !== undefined && v !== null && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
			throw typeError(name, 'Collection(Edm.String)');
		}
	}
	for (const name of ADDRESSES) {
		const v = input[name];
		if (v === undefined || v === null) continue;
		if (typeof v !== 'object' || Array.isArray(v)) throw typeError(name, 'Microsoft.OutlookServices.PhysicalAddress');
		for (const [key, value] of Object.entries(v as Json)) {
			if (key.startsWith('@')) continue;
			if (!ADDRESS_FIELDS.includes(key)) throw unknownProperty(key, 'Microsoft.OutlookServices.PhysicalAddress');
			if (value !== null && typeof value !== 'string') throw typeError(`${name}/${key}`, 'Edm.String');
		}
	}
	const emails = input.emailAddresses;
	if (emails !== undefined && emails !== null) {
		if (!Array.isArray(emails)) throw typeError('emailAddresses', 'Collection(Microsoft.OutlookServices.EmailAddress)');
		for (const e of emails) {
			if (!e || typeof e !== 'object') throw typeError('emailAddresses', 'Microsoft.OutlookServices.EmailAddress');
			for (const key of Object.keys(e as Json)) {
				if (!['name', 'address'].includes(key) && !key.startsWith('@')) throw unknownProperty(key, 'Microsoft.OutlookServices.EmailAddress');
			}
		}
	}
}

const CONTACT_FIELDS = [...STRING_FIELDS, ...STRING_LISTS, ...ADDRESSES, 'emailAddresses'];

function assignContact(props: Json, input: Json): void {
	for (const name of CONTACT_FIELDS) {
		const value = input[name];
		if (value === undefined) continue;
		// A copy, so the stored contact shares nothing with the request (strings need none).
		props[name] = value === null || typeof value !== 'object' ? value : JSON.parse(JSON.stringify(value));
	}
	if (Array.isArray(props.emailAddresses)) {
		props.emailAddresses = (props.emailAddresses as Json[]).map((e) => ({
			name: typeof e.name === 'string' ? e.name : typeof e.address === 'string' ? e.address : '',
			address: typeof e.address === 'string' ? e.address : '',
		}));
	}
}
