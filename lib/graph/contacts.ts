import type { ContactFolder } from '@microsoft/microsoft-graph-types';

import {
	contactLinkProperties,
	contactSetDigest,
	mapContact,
	planContacts,
	type ContactPlan,
	type ContactPlanOptions,
	type FolderContact,
	type MappedContact,
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
import type { LnContact } from '../sync/model';
import { userPath } from './calendar';
import { GraphApiError, type BatchRequest, type GraphTransport } from './transport';

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
	contacts: LnContact[];
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
 * Makes the mailbox's LN contact folder hold exactly the LN contacts given (SPEC §3): creates the
 * folder if needed; skips all reads when the folder's stored digest equals the wanted set; otherwise
 * creates, updates and removes contacts in $batch requests. Contacts we did not create are never
 * touched.
 */
export async function syncContactFolder(graph: GraphTransport, request: FolderSyncRequest): Promise<FolderSyncResult> {
	const { mailbox, dryRun } = request;
	const result: FolderSyncResult = { mailbox, folderCreated: false, digestMatched: false, results: [], warnings: [], foreign: 0 };
	let folder = await findFolder(graph, mailbox, request.folderName);
	const wantedDigest = contactSetDigest(
		request.contacts.filter((c) => c.synchronize && c.active).flatMap((c) => {
			try {
				const mapped = mapContact(c);
				return [{ key: mapped.key, hash: mapped.hash }];
			} catch {
				return [];
			}
		}),
	);
	const stored = readDigest(folder);
	if (folder && stored && stored.digest === wantedDigest && request.now - stored.at < request.verifyAfterHours * 3_600_000) {
		result.folderId = folder.id ?? undefined;
		result.digestMatched = true;
		const plan = planContacts(request.contacts, [], request.plan);
		// Same set as last time: every wanted contact is there unchanged.
		for (const mapped of plan.creates) result.results.push({ mailbox, contact: mapped.contactId, key: mapped.key, action: 'unchanged' });
		for (const failure of plan.failures) result.results.push({ mailbox, contact: failure.contactId, key: failure.key, action: 'failed', reason: failure.reason });
		result.warnings = plan.warnings;
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
	const requests: BatchRequest[] = [];
	const targets: Array<{ kind: 'create' | 'update' | 'remove'; key: string; contact: string; id?: string; mapped?: MappedContact }> = [];
	for (const mapped of plan.creates) {
		requests.push({ id: String(requests.length), method: 'POST', url: base, body: withLink(mapped) });
		targets.push({ kind: 'create', key: mapped.key, contact: mapped.contactId, mapped });
	}
	for (const mapped of plan.updates) {
		requests.push({ id: String(requests.length), method: 'PATCH', url: `${userPath(mailbox)}/contacts/${encodeURIComponent(mapped.id)}`, body: withLink(mapped), idempotent: true });
		targets.push({ kind: 'update', key: mapped.key, contact: mapped.contactId, id: mapped.id, mapped });
	}
	for (const remove of plan.removes) {
		requests.push({ id: String(requests.length), method: 'DELETE', url: `${userPath(mailbox)}/contacts/${encodeURIComponent(remove.id)}`, idempotent: true });
		targets.push({ kind: 'remove', key: remove.key, contact: contactOf(remove.key), id: remove.id });
	}
	const responses = requests.length ? await graph.batch(requests) : new Map();
	let allWritten = true;
	const unknown: typeof targets = [];
	targets.forEach((target, index) => {
		const response = responses.get(String(index));
		if (response?.unknownOutcome) {
			unknown.push(target);
			return;
		}
		const ok = response && ((response.status >= 200 && response.status < 300) || (target.kind === 'remove' && response.status === 404));
		if (!ok) {
			allWritten = false;
			const error = (response?.body as { error?: { code?: string; message?: string } })?.error;
			result.results.push({ mailbox, contact: target.contact, key: target.key, id: target.id, action: 'failed', reason: `Exchange refused to ${target.kind} contact ${target.contact}: ${response?.status ?? 0} ${error?.code ?? ''} ${error?.message ?? ''}`.trim() });
			return;
		}
		const id = target.kind === 'create' ? (response.body as { id?: string })?.id : target.id;
		result.results.push({ mailbox, contact: target.contact, key: target.key, id, action: target.kind === 'create' ? 'created' : target.kind === 'update' ? 'updated' : 'removed', reason: plan.removes.find((r) => r.id === target.id)?.reason });
	});
	if (unknown.length > 0) allWritten = (await settleUnknown(graph, mailbox, base, unknown, result)) && allWritten;
	if (allWritten && !plan.brake) {
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

/** After a lost batch answer: look up which creates happened, and send only the missing ones again. */
async function settleUnknown(
	graph: GraphTransport,
	mailbox: string,
	base: string,
	unknown: Array<{ kind: 'create' | 'update' | 'remove'; key: string; contact: string; id?: string; mapped?: MappedContact }>,
	result: FolderSyncResult,
): Promise<boolean> {
	const lookups: BatchRequest[] = unknown.map((target, index) => ({
		id: String(index),
		method: 'GET',
		url: `${base}?${new URLSearchParams({ $filter: keyFilter(target.key), $select: 'id' }).toString()}`,
	}));
	const found = await graph.batch(lookups);
	const resend: BatchRequest[] = [];
	const resendTargets: typeof unknown = [];
	unknown.forEach((target, index) => {
		const existing = ((found.get(String(index))?.body as { value?: Array<{ id: string }> })?.value ?? [])[0];
		if (target.kind === 'create' && existing) {
			result.results.push({ mailbox, contact: target.contact, key: target.key, id: existing.id, action: 'created' });
		} else if (target.kind === 'create') {
			resend.push({ id: String(resend.length), method: 'POST', url: base, body: withLink(target.mapped!) });
			resendTargets.push(target);
		} else {
			result.results.push({ mailbox, contact: target.contact, key: target.key, id: target.id, action: 'failed', reason: 'the answer was lost; checked again on the next run' });
		}
	});
	let ok = resendTargets.length === 0 && unknown.every((t) => t.kind === 'create');
	if (resend.length > 0) {
		const responses = await graph.batch(resend);
		ok = true;
		resendTargets.forEach((target, index) => {
			const response = responses.get(String(index));
			if (response && response.status >= 200 && response.status < 300) {
				result.results.push({ mailbox, contact: target.contact, key: target.key, id: (response.body as { id?: string }).id, action: 'created' });
			} else {
				ok = false;
				result.results.push({ mailbox, contact: target.contact, key: target.key, action: 'failed', reason: `Exchange did not create contact ${target.contact}: ${response?.status ?? 0}` });
			}
		});
	}
	return ok;
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
