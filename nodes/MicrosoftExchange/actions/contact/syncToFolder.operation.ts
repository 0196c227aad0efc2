import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { syncContactFolder, type FolderSyncResult } from '../../../../lib/graph/contacts';
import { wantedContacts } from '../../../../lib/sync/contacts';
import type { LnContact } from '../../../../lib/sync/model';
import { ledgerFor } from '../../../../lib/sync/report';
import { dryRun, mailboxes, mailboxesAtATimeOption, show } from '../../descriptions/common';
import { errorClassOf, isEmptyItem, mailboxesAtATimeOf, mailboxList, mapLimit, toNodeError } from '../../helpers/execute';
import { graphTransport } from '../../../shared/graph-transport';

const where = show('contact', ['syncToFolder']);

export const description: INodeProperties[] = [
	mailboxes('contact', ['syncToFolder'], 'The mailbox, or several (comma-separated, or a list from an expression), whose contact folder gets the input contacts'),
	{
		displayName: 'Contact Folder',
		name: 'folderName',
		type: 'string',
		default: 'LN Contacts',
		description: "The folder for LN contacts, created when missing; the user's own contacts are never touched",
		displayOptions: where,
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: where,
		options: [
			{
				displayName: 'Output',
				name: 'output',
				type: 'options',
				options: [
					{ name: 'One Item per Contact', value: 'all' },
					{ name: 'Changes Only', value: 'changes', description: 'Created, updated, removed and failed contacts' },
					{ name: 'One Summary per Mailbox', value: 'summary' },
				],
				default: 'all',
			},
			{
				displayName: 'Brake Share',
				name: 'brakeShare',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
				default: 0.2,
				description: 'Removals stop (and are reported) when one run would remove more than this share of the linked contacts',
			},
			{
				displayName: 'Brake Minimum',
				name: 'brakeMinimum',
				type: 'number',
				default: 5,
				description: 'The brake applies only from this many removals on',
			},
			{
				displayName: 'Verify Folder After (Hours)',
				name: 'verifyAfterHours',
				type: 'number',
				default: 24,
				description: 'When the contact set is unchanged the folder is not read; it is compared in full again after this long',
			},
			mailboxesAtATimeOption,
		],
	},
	dryRun('contact', ['syncToFolder']),
];

/** Makes each mailbox's LN contact folder match the input contacts. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const ledger = ledgerFor(this.getExecutionId());
	const contacts: LnContact[] = [];
	const indexOf = new Map<string, number>();
	// Contacts read with "Changed Since" are marked partial: they never make the others look removed.
	const complete = !items.some((item) => item.json.partial === true);
	items.forEach((item, index) => {
		if (isEmptyItem(item.json)) return;
		const contact = item.json as unknown as LnContact;
		if (!contact.id) return;
		contacts.push(contact);
		indexOf.set(`ln:${contact.company}:contact:${contact.id}`, index);
	});
	const mailboxes = mailboxList(this.getNodeParameter('mailboxes', 0));
	const folderName = String(this.getNodeParameter('folderName', 0, 'LN Contacts') || 'LN Contacts');
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const mode = String(options.output ?? 'all');
	const isDryRun = this.getNodeParameter('dryRun', 0, false) as boolean;
	if (mailboxes.length === 0) throw toNodeError(this, new Error('field Mailboxes is empty'), 0, 'Sync contacts');
	const atATime = mailboxesAtATimeOf(this, options.mailboxesAtATime, 'Sync contacts');
	// Every summary derives from all input items: one shared list, not one copy per mailbox.
	const pairedWithAll = items.map((_, item) => ({ item }));
	const graph = await graphTransport.call(this);
	const now = Date.now();
	const wanted = wantedContacts(contacts);
	// Each mailbox's outcome is turned into its output as soon as it is known, so per-contact results
	// of hundreds of mailboxes are never held at once.
	const outputs = await mapLimit(mailboxes, atATime, async (mailbox): Promise<INodeExecutionData[] | Error> => {
		let result: FolderSyncResult;
		try {
			result = await syncContactFolder(graph, {
				mailbox,
				folderName,
				contacts: wanted,
				dryRun: isDryRun,
				now,
				verifyAfterHours: Number(options.verifyAfterHours ?? 24),
				plan: { brakeShare: Number(options.brakeShare ?? 0.2), brakeMinimum: Number(options.brakeMinimum ?? 5), complete },
			});
		} catch (error) {
			return error as Error;
		}
		record(ledger, result, isDryRun);
		if (mode === 'summary') return [{ json: summary(result) as unknown as IDataObject, pairedItem: pairedWithAll }];
		return result.results
			.filter((entry) => mode !== 'changes' || entry.action !== 'unchanged')
			.map((entry) => {
				const index = indexOf.get(entry.key);
				return { json: { ...entry } as unknown as IDataObject, pairedItem: index === undefined ? pairedWithAll : { item: index } };
			});
	});
	const out: INodeExecutionData[] = [];
	for (let m = 0; m < mailboxes.length; m++) {
		const mailbox = mailboxes[m];
		const result = outputs[m];
		if (result instanceof Error) {
			const nodeError = toNodeError(this, result, 0, `Contacts of ${mailbox}`);
			ledger.error(mailbox, 'contacts', errorClassOf(result), nodeError.message);
			if (!this.continueOnFail() && mailboxes.length === 1) throw nodeError;
			out.push({ json: { mailbox, action: 'failed', error: nodeError.message }, pairedItem: pairedWithAll });
			continue;
		}
		out.push(...result);
	}
	return out;
}

function record(ledger: ReturnType<typeof ledgerFor>, result: FolderSyncResult, isDryRun: boolean): void {
	const { mailbox } = result;
	for (const entry of result.results) {
		const ref = `contact ${entry.contact}`;
		if (entry.action === 'created') ledger.count(mailbox, 'contactsCreated');
		else if (entry.action === 'updated') ledger.count(mailbox, 'contactsUpdated');
		else if (entry.action === 'removed') ledger.count(mailbox, 'contactsRemoved');
		else if (entry.action === 'unchanged') ledger.count(mailbox, 'contactsUnchanged');
		else if (entry.action === 'failed') ledger.error(mailbox, ref, 'data', entry.reason ?? 'failed');
		else if (entry.action === 'planned' && isDryRun) ledger.plan(mailbox, ref, `${entry.planned} contact${entry.reason ? ` (${entry.reason})` : ''}`);
	}
	for (const warning of result.warnings) ledger.warn(mailbox, `contact ${warning.contactId}`, warning.message);
	if (result.brake) {
		ledger.brakes.push(`${mailbox}: contact removals stopped: ${result.brake.removals} of ${result.brake.linked} linked contacts would go`);
		ledger.skip(mailbox, 'contacts', `mass-change brake: ${result.brake.removals} of ${result.brake.linked} contacts would be removed; nothing removed`);
	}
}

function summary(result: FolderSyncResult) {
	const counts: Record<string, number> = {};
	for (const entry of result.results) counts[entry.planned ? `planned_${entry.planned}` : entry.action] = (counts[entry.planned ? `planned_${entry.planned}` : entry.action] ?? 0) + 1;
	return {
		mailbox: result.mailbox,
		folderId: result.folderId,
		folderCreated: result.folderCreated,
		digestMatched: result.digestMatched,
		counts,
		failed: result.results.filter((r) => r.action === 'failed'),
		brake: result.brake,
		userContactsLeftAlone: result.foreign,
	};
}
