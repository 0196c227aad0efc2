import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { getChanges, type ExchangeChange } from '../../../../lib/graph/changes';
import { checkedLnCompany } from '../../../../lib/ln/contract';
import type { SyncUser } from '../../../../lib/sync/model';
import { ledgerFor, type RunLedger } from '../../../../lib/sync/report';
import { SyncUserIndex } from '../../../../lib/sync/sync-users';
import { syncWindow } from '../../../../lib/sync/time';
import { company, horizon, mailbox, mailboxesAtATime, mailboxValue, show, syncUsers } from '../../descriptions/common';
import { errorClassOf, mailboxesAtATimeOf, mapLimit, output, parseJson, syncStateOf, toNodeError } from '../../helpers/execute';
import { graphTransport, linkKeyOf } from '../../../shared/graph-transport';

const operations = ['getChanges'];
const where = show('event', operations);

export const description: INodeProperties[] = [
	mailbox('event', operations),
	company('event', operations),
	syncUsers('event', operations),
	horizon('event', operations),
	{
		displayName: 'Private Events',
		name: 'allowPrivate',
		type: 'boolean',
		default: false,
		description: 'Whether private events are created in LN (by default they are skipped)',
		displayOptions: where,
	},
	{
		displayName: 'Occurrences per Series',
		name: 'occurrenceCap',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 100,
		description: 'A recurring series becomes one LN appointment per occurrence in the window, up to this many',
		displayOptions: where,
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: [
			{ name: 'Changes for LN', value: 'actionable', description: 'Only events to create, update or cancel in LN' },
			{ name: 'Every Change', value: 'all', description: 'Also linked, skipped and removed events, with the reason' },
		],
		default: 'actionable',
		displayOptions: where,
	},
	{
		displayName: 'Start Over',
		name: 'resetCursor',
		type: 'boolean',
		default: false,
		description: 'Whether to forget the delta link and read the whole window again (creates no duplicates)',
		displayOptions: where,
	},
	mailboxesAtATime('event', operations),
	{
		displayName: 'Dry Run',
		name: 'dryRun',
		type: 'boolean',
		default: false,
		description: 'Whether to leave the delta link and the notes of our own writes as they were, so that the next run gets the same changes (for a dry run of the sync)',
		displayOptions: where,
	},
];

/** Events of a mailbox changed since the last call (calendarView delta; the delta link is kept in the node's static data). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const ledger = ledgerFor(this.getExecutionId());
	const state = syncStateOf(this, this.getWorkflowStaticData('node'));
	const graph = await graphTransport.call(this);
	// One read per mailbox, however many input items name it (the first names the parameters); several mailboxes at a time.
	const reads = new Map<string, { mailbox: string; company: string; item: number }>();
	for (let i = 0; i < items.length; i++) {
		const company = String(this.getNodeParameter('company', i, '')).trim();
		const mailbox = mailboxValue(this.getNodeParameter('mailbox', i));
		const key = `${company}|${mailbox}`;
		if (!reads.has(key)) reads.set(key, { mailbox, company, item: i });
	}
	// A dry run reads from the same cursor and leaves it: the real run after it must see these changes too.
	const dryRun = this.getNodeParameter('dryRun', 0, false) as boolean;
	const atATime = mailboxesAtATimeOf(this, this.getNodeParameter('mailboxesAtATime', 0, undefined), 'Exchange changes');
	const mailboxes = [...reads.entries()];
	const outputs = await mapLimit(mailboxes, atATime, async ([, { mailbox: mailboxAddress, company, item: i }]): Promise<INodeExecutionData[] | Error> => {
		try {
			if (!mailboxAddress) throw new Error('field Mailbox is empty');
			const lnCompany = checkedLnCompany(company);
			const horizonDays = Number(this.getNodeParameter('horizonDays', i, 365));
			const now = DateTime.utc();
			syncWindow(now, horizonDays);
			const users = new SyncUserIndex(parseJson<SyncUser[]>(this.getNodeParameter('syncUsers', i, '[]'), 'Sync Users') ?? []);
			if (!users.isSyncMailbox(mailboxAddress)) throw new Error(`${mailboxAddress} is not an active sync user: only sync users' mailboxes are synchronized`);
			const result = await getChanges(graph, {
				echoes: state.takeEchoes(mailboxAddress, dryRun),
				mailbox: mailboxAddress,
				company: lnCompany,
				syncUsers: users,
				now,
				horizonDays,
				allowPrivate: this.getNodeParameter('allowPrivate', i, false) as boolean,
				occurrenceCap: Number(this.getNodeParameter('occurrenceCap', i, 100)),
				linkKey: linkKeyOf(graph),
				cursor: this.getNodeParameter('resetCursor', i, false) ? undefined : state.cursor(mailboxAddress, company),
			});
			if (!dryRun) {
				state.setCursor(mailboxAddress, company, result.cursor);
				// A quiet calendar may keep its settled mark this run; one that changed (or was read afresh)
				// has its LN side planned in full again (settled.ts).
				if (result.quiet) ledger.calendarQuiet(lnCompany, mailboxAddress);
				else state.setSettled(mailboxAddress, lnCompany, undefined);
			}
			if (result.fullRead) ledger.warn(mailboxAddress, 'calendar', `read the whole window: ${result.fullReadReason}`);
			const wanted = this.getNodeParameter('output', i, 'actionable') === 'all';
			const changes: INodeExecutionData[] = [];
			for (const change of result.changes) {
				record(ledger, change);
				if (!wanted && !['createInLn', 'updateLn', 'cancelInLn'].includes(change.action)) continue;
				changes.push(output(change as unknown as IDataObject, i));
			}
			return changes;
		} catch (error) {
			const nodeError = toNodeError(this, error, i, `Changes of ${mailboxAddress}`);
			ledger.error(mailboxAddress, 'calendar', errorClassOf(error), nodeError.message);
			return nodeError;
		}
	});
	const out: INodeExecutionData[] = [];
	for (const [index, result] of outputs.entries()) {
		if (!(result instanceof Error)) {
			out.push(...result);
			continue;
		}
		if (!this.continueOnFail()) throw result;
		const { mailbox, item } = mailboxes[index][1];
		out.push(output({ mailbox, action: 'failed', error: result.message }, item));
	}
	return out;
}

function record(ledger: RunLedger, change: ExchangeChange): void {
	if (change.action === 'skip' && change.reason) ledger.skip(change.mailbox, `event "${change.subject ?? change.eventId}"`, change.reason);
}
