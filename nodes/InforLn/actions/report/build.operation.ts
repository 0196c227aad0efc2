import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { buildReports, dropLedger, ledgerFor, type ErrorClass, type RunReport } from '../../../../lib/sync/report';

/** The class of an error from its message (it arrives as text from a sub-execution). */
function classify(message: string): ErrorClass {
	if (/ErrorAccessDenied|403|Forbidden|ErrorInvalidUser/i.test(message)) return 'permission';
	if (/AADSTS|401|refused the|token/i.test(message)) return 'authentication';
	if (/429|503|504|timed? ?out|could not be reached|ECONNRESET/i.test(message)) return 'transient';
	return 'other';
}

const show = { resource: ['report'], operation: ['build'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Scope',
		name: 'scope',
		type: 'options',
		options: [
			{
				name: 'One Sync User',
				value: 'user',
				description: 'Everything this execution did, as the report of one sync user (end of a per-user run)',
			},
			{
				name: 'Whole Run',
				value: 'run',
				description:
					'One item per sync user and a total, from this execution and the per-user reports given as input',
			},
		],
		default: 'run',
		displayOptions: { show },
	},
	{
		displayName: 'Mailbox',
		name: 'mailbox',
		type: 'string',
		default: '',
		placeholder: 'name@email.com',
		displayOptions: { show: { ...show, scope: ['user'] } },
	},
	{
		displayName: 'LN User',
		name: 'user',
		type: 'string',
		default: '',
		displayOptions: { show: { ...show, scope: ['user'] } },
	},
	{
		displayName: 'Mailbox of a Failed Run',
		name: 'failedMailbox',
		type: 'string',
		default: '={{ $json.mailbox }}',
		description: 'For an input item that is an error (a per-user run that failed): the mailbox it was for',
		displayOptions: { show: { ...show, scope: ['run'] } },
	},
];

/**
 * The run report (SPEC §7): counts of contacts, events and LN writes, conflicts, skipped items with
 * their reasons, errors with their class, requests to LN and Graph, duration; in a dry run the
 * planned changes.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const executionId = this.getExecutionId();
	const ledger = ledgerFor(executionId);
	const items = this.getInputData();
	const scope = this.getNodeParameter('scope', 0) as string;
	let reports: RunReport[];
	if (scope === 'user') {
		const mailbox = String(this.getNodeParameter('mailbox', 0) ?? '').toLowerCase();
		const user = String(this.getNodeParameter('user', 0, '') ?? '') || undefined;
		// Work recorded without a mailbox in a per-user run belongs to that user.
		for (const report of ledger.all()) if (report.mailbox === '') Object.assign(report, { mailbox });
		reports = buildReports(ledger, [], [{ mailbox, user }], { includeTotal: false }).filter((r) => r.mailbox === mailbox);
	} else {
		items.forEach((item, i) => {
			if (item.json.kind === undefined && typeof item.json.error === 'string') {
				// A per-user run that stopped (e.g. the mailbox may not be accessed): the user is skipped and reported.
				const mailbox = String(this.getNodeParameter('failedMailbox', i, '') ?? '').toLowerCase();
				ledger.error(mailbox, 'per-user run', classify(item.json.error), item.json.error);
			}
		});
		const incoming = items.map((item) => item.json as Partial<RunReport>).filter((json) => json && json.kind === 'user');
		const users = incoming.map((r) => ({ mailbox: String(r.mailbox), user: r.user }));
		reports = buildReports(ledger, incoming, users, { includeTotal: true });
	}
	dropLedger(executionId);
	const pairedItem = items.map((_, index) => ({ item: index }));
	return reports.map((report) => ({ json: report as unknown as IDataObject, pairedItem }));
}
