import type { ContactFolder } from '@microsoft/microsoft-graph-types';

import {
	contactLinkProperties,
	planContacts,
	type ContactPlan,
	type ContactPlanOptions,
	type FolderContact,
	type MappedContact,
	type WantedContacts,
} from '../sync/contacts';
import {
	decodeState,
	expandOurProperties,
	keyFilter,
	LN_DIGEST_PROPERTY,
	LN_KEY_PROPERTY,
	LN_STATE_PROPERTY,
	propertyValue,
	type ExtendedProperty,
} from '../sync/link';
import { retryDelay } from '../http/retry';
import { userPath } from './calendar';
import { describeBatchFailure, GraphApiError, MAX_BATCH_SIZE, type BatchRequest, type GraphTransport } from './transport';

export type ContactAction = 'created' | 'updated' | 'removed' | 'unchanged' | 'failed' | 'planned';

export interface ContactResult {
	mailbox: string;
	contact: string;
	key: string;
	action: ContactAction;
	/** For planned changes (dry run): what would happen. */
	planned?: 'create' | 'update' | 'remove';
	id?: string;
	reason?: string;
}

export interface FolderSyncRequest {
	mailbox: string;
	folderName: string;
	/** The same for every mailbox of a run: mapped once (wantedContacts). */
	contacts: WantedContacts;
	dryRun: boolean;
	plan: ContactPlanOptions;
	/** A folder whose stored digest matches is trusted this long; then it is compared in full again. */
	verifyAfterHours: number;
	now: number;
}

export interface FolderSyncResult {
	mailbox: string;
	folderId?: string;
	folderCreated: boolean;
	/** True when the stored digest showed nothing changed (no contact was read). */
	digestMatched: boolean;
	results: ContactResult[];
	warnings: Array<{ contactId: string; message: string }>;
	brake?: ContactPlan['brake'];
	foreign: number;
}

type FolderWithProps = ContactFolder & { singleValueExtendedProperties?: ExtendedProperty[] };

async function findFolder(graph: GraphTransport, mailbox: string, name: string): Promise<FolderWithProps | undefined> {
	const query = new URLSearchParams({
		$filter: `displayName eq '${name.replace(/'/g, "''")}'`,
		$expand: expandOurProperties(LN_DIGEST_PROPERTY),
	});
	const folders = await graph.getAll<FolderWithProps>(`${userPath(mailbox)}/contactFolders?${query.toString()}`);
	return folders.find((f) => propertyValue(f.singleValueExtendedProperties, LN_DIGEST_PROPERTY)) ?? folders[0];
}

async function readFolderContacts(graph: GraphTransport, mailbox: string, folderId: string): Promise<FolderContact[]> {
	const query = new URLSearchParams({ $select: 'id', $expand: expandOurProperties(), $top: '1000' });
	const contacts = await graph.getAll<{ id: string; singleValueExtendedProperties?: ExtendedProperty[] }>(
		`${userPath(mailbox)}/contactFolders/${encodeURIComponent(folderId)}/contacts?${query.toString()}`,
	);
	return contacts.map((c) => ({
		id: c.id,
		key: propertyValue(c.singleValueExtendedProperties, LN_KEY_PROPERTY),
		hash: decodeState(propertyValue(c.singleValueExtendedProperties, LN_STATE_PROPERTY))?.hash,
	}));
}

function digestValue(digest: string, now: number): string {
	return `${digest}|${Math.floor(now / 1000)}`;
}

function readDigest(folder: FolderWithProps | undefined): { digest: string; at: number } | undefined {
	const value = propertyValue(folder?.singleValueExtendedProperties, LN_DIGEST_PROPERTY);
	const match = /^([0-9a-f]{16,64})\|(\d+)$/.exec(value ?? '');
	return match ? { digest: match[1], at: Number(match[2]) * 1000 } : undefined;
}

/**
 * Makes the mailbox's LN contact folder hold exactly the LN contacts given: creates the
 * folder if needed; skips all reads when the folder's stored digest equals the wanted set; otherwise
 * creates, updates and removes contacts in $batch requests. Contacts we did not create are never
 * touched.
 */
export async function syncContactFolder(graph: GraphTransport, request: FolderSyncRequest): Promise<FolderSyncResult> {
	const { mailbox, dryRun } = request;
	const result: FolderSyncResult = { mailbox, folderCreated: false, digestMatched: false, results: [], warnings: [], foreign: 0 };
	let folder = await findFolder(graph, mailbox, request.folderName);
	const wantedDigest = request.contacts.digest;
	const stored = readDigest(folder);
	// The digest stands for the whole set: a partial input neither trusts nor writes it.
	const complete = request.plan.complete;
	if (complete && folder && stored && stored.digest === wantedDigest && request.now - stored.at < request.verifyAfterHours * 3_600_000) {
		result.folderId = folder.id ?? undefined;
		result.digestMatched = true;
		// Same set as last time: every wanted contact is there unchanged.
		for (const mapped of request.contacts.desired.values()) result.results.push({ mailbox, contact: mapped.contactId, key: mapped.key, action: 'unchanged' });
		for (const failure of request.contacts.failures) result.results.push({ mailbox, contact: failure.contactId, key: failure.key, action: 'failed', reason: failure.reason });
		result.warnings = request.contacts.warnings;
		return result;
	}
	if (!folder) {
		if (dryRun) {
			const plan = planContacts(request.contacts, [], request.plan);
			return finishDryRun(result, plan, mailbox, true);
		}
		folder = await createFolder(graph, mailbox, request.folderName);
		result.folderCreated = true;
	}
	const folderId = folder.id!;
	result.folderId = folderId;
	const existing = result.folderCreated ? [] : await readFolderContacts(graph, mailbox, folderId);
	const plan = planContacts(request.contacts, existing, request.plan);
	if (dryRun) return finishDryRun(result, plan, mailbox, false);
	result.warnings = plan.warnings;
	result.brake = plan.brake;
	result.foreign = plan.foreign;
	for (const failure of plan.failures) result.results.push({ mailbox, contact: failure.contactId, key: failure.key, action: 'failed', reason: failure.reason });
	for (const item of plan.unchanged) result.results.push({ mailbox, contact: contactOf(item.key), key: item.key, id: item.id, action: 'unchanged' });

	const base = `${userPath(mailbox)}/contactFolders/${encodeURIComponent(folderId)}/contacts`;
	const writes: ContactWrite[] = [
		...plan.creates.map((mapped): ContactWrite => ({ kind: 'create', key: mapped.key, contact: mapped.contactId, mapped })),
		...plan.updates.map((mapped): ContactWrite => ({ kind: 'update', key: mapped.key, contact: mapped.contactId, id: mapped.id, mapped })),
		...plan.removes.map((remove): ContactWrite => ({ kind: 'remove', key: remove.key, contact: contactOf(remove.key), id: remove.id, reason: remove.reason })),
	];
	const allWritten = writes.length === 0 || (await writeContacts(graph, mailbox, base, writes, result));
	if (allWritten && !plan.brake && complete) {
		await graph.patch(`${userPath(mailbox)}/contactFolders/${encodeURIComponent(folderId)}`, {
			singleValueExtendedProperties: [{ id: LN_DIGEST_PROPERTY, value: digestValue(plan.digest, request.now) }],
		});
	}
	return result;
}

/** Creates the folder; when the answer is lost, looks for it before trying again (never two folders). */
async function createFolder(graph: GraphTransport, mailbox: string, name: string): Promise<FolderWithProps> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await graph.post<FolderWithProps>(`${userPath(mailbox)}/contactFolders`, { displayName: name });
		} catch (error) {
			const unknown = error instanceof GraphApiError && (error.status === 0 || error.status === 504);
			if (!unknown || attempt >= 3) throw error;
			const found = await findFolder(graph, mailbox, name);
			if (found) return found;
		}
	}
}

/**
 * Rounds of sending after lost answers. A server closing idle connections cuts off a request sent
 * on one at that moment, and the pool can hold several such connections: between rounds the
 * transport's back-off lets them go.
 */
const WRITE_ROUNDS = 4;
/** Writes sent and answered before the next are built: five full $batch requests. */
const WRITE_SLICE = 5 * MAX_BATCH_SIZE;

interface ContactWrite {
	kind: 'create' | 'update' | 'remove';
	key: string;
	contact: string;
	/** Exchange id (updates and removals). */
	id?: string;
	mapped?: MappedContact;
	/** Why a contact is removed. */
	reason?: string;
}

function writeRequest(write: ContactWrite, id: string, mailbox: string, base: string): BatchRequest {
	const contactUrl = `${userPath(mailbox)}/contacts/${encodeURIComponent(write.id ?? '')}`;
	if (write.kind === 'create') return { id, method: 'POST', url: base, body: withLink(write.mapped!) };
	if (write.kind === 'update') return { id, method: 'PATCH', url: contactUrl, body: withLink(write.mapped!), idempotent: true };
	return { id, method: 'DELETE', url: contactUrl, idempotent: true };
}

/**
 * Sends the writes in $batch requests and records each outcome. When a batch's answer is lost (it
 * may or may not have been carried out), the creates are looked up by their LN key first and only
 * the missing ones are sent again, with the updates and removals (safe to repeat); up to WRITE_ROUNDS
 * times. True when every write was made.
 */
async function writeContacts(graph: GraphTransport, mailbox: string, base: string, writes: ContactWrite[], result: FolderSyncResult): Promise<boolean> {
	let allWritten = true;
	let pending = writes;
	for (let round = 1; pending.length > 0; round++) {
		const lost: ContactWrite[] = [];
		// A slice at a time: Exchange answers each create with the whole contact, and eight mailboxes
		// of thousands of contacts held at once took hundreds of MB.
		for (let start = 0; start < pending.length; start += WRITE_SLICE) {
			const slice = pending.slice(start, start + WRITE_SLICE);
			const responses = await graph.batch(slice.map((write, index) => writeRequest(write, String(index), mailbox, base)));
			slice.forEach((write, index) => {
				const response = responses.get(String(index));
				if (response?.unknownOutcome && round < WRITE_ROUNDS) {
					lost.push(write);
				} else if (response && ((response.status >= 200 && response.status < 300) || (write.kind === 'remove' && response.status === 404))) {
					const id = write.kind === 'create' ? (response.body as { id?: string })?.id : write.id;
					result.results.push({ mailbox, contact: write.contact, key: write.key, id, action: write.kind === 'create' ? 'created' : write.kind === 'update' ? 'updated' : 'removed', reason: write.reason });
				} else {
					allWritten = false;
					result.results.push({ mailbox, contact: write.contact, key: write.key, id: write.id, action: 'failed', reason: `Exchange did not ${write.kind} contact ${write.contact}: ${describeBatchFailure(response)}` });
				}
			});
		}
		if (lost.length > 0) await graph.delay(retryDelay(round, graph.retryPolicy));
		const checked = await dropCreatesMade(graph, mailbox, base, lost, result);
		if (checked.unchecked > 0) allWritten = false;
		pending = checked.pending;
	}
	return allWritten;
}

/** Of writes whose answer was lost: the creates Exchange did make are recorded; the rest are returned. */
async function dropCreatesMade(graph: GraphTransport, mailbox: string, base: string, lost: ContactWrite[], result: FolderSyncResult): Promise<{ pending: ContactWrite[]; unchecked: number }> {
	const creates = lost.filter((write) => write.kind === 'create');
	if (creates.length === 0) return { pending: lost, unchecked: 0 };
	const found = await graph.batch(
		creates.map((write, index) => ({ id: String(index), method: 'GET', url: `${base}?${new URLSearchParams({ $filter: keyFilter(write.key), $select: 'id' }).toString()}` })),
	);
	const settled = new Set<ContactWrite>();
	let unchecked = 0;
	creates.forEach((write, index) => {
		const lookup = found.get(String(index));
		if (!lookup || lookup.status < 200 || lookup.status >= 300) {
			// Sending it again unchecked could make a second contact; the next run reads the folder first.
			settled.add(write);
			unchecked++;
			result.results.push({ mailbox, contact: write.contact, key: write.key, action: 'failed', reason: `Exchange's answer to creating contact ${write.contact} was lost and the check failed (${describeBatchFailure(lookup)}); checked again on the next run` });
			return;
		}
		const existing = ((lookup.body as { value?: Array<{ id: string }> })?.value ?? [])[0];
		if (!existing) return;
		settled.add(write);
		result.results.push({ mailbox, contact: write.contact, key: write.key, id: existing.id, action: 'created' });
	});
	return { pending: lost.filter((write) => !settled.has(write)), unchecked };
}

function withLink(mapped: MappedContact): Record<string, unknown> {
	return {
		...mapped.body,
		singleValueExtendedProperties: [...(mapped.body.singleValueExtendedProperties ?? []), ...contactLinkProperties(mapped)],
	};
}

function contactOf(key: string): string {
	return key.replace(/^ln:\d+:contact:/, '');
}

function finishDryRun(result: FolderSyncResult, plan: ContactPlan, mailbox: string, folderMissing: boolean): FolderSyncResult {
	result.warnings = plan.warnings;
	result.brake = plan.brake;
	result.foreign = plan.foreign;
	if (folderMissing) result.folderCreated = false;
	for (const mapped of plan.creates) result.results.push({ mailbox, contact: mapped.contactId, key: mapped.key, action: 'planned', planned: 'create' });
	for (const mapped of plan.updates) result.results.push({ mailbox, contact: mapped.contactId, key: mapped.key, id: mapped.id, action: 'planned', planned: 'update' });
	for (const remove of plan.removes) result.results.push({ mailbox, contact: contactOf(remove.key), key: remove.key, id: remove.id, action: 'planned', planned: 'remove', reason: remove.reason });
	for (const item of plan.unchanged) result.results.push({ mailbox, contact: contactOf(item.key), key: item.key, id: item.id, action: 'unchanged' });
	for (const failure of plan.failures) result.results.push({ mailbox, contact: failure.contactId, key: failure.key, action: 'failed', reason: failure.reason });
	return result;
}
