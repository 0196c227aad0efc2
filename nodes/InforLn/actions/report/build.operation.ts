import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { buildReports, dropLedger, ledgerFor, type ErrorClass, type MailboxReport, type RunReport } from '../../../../lib/sync/report';
import { listParameter } from '../../helpers/execute';

/** Whether a report holds anything: requests, counts or lines. */
function hasContent(report: MailboxReport): boolean {
	return (
		report.requests.ln + report.requests.graph > 0 ||
		Object.values(report.counts).some((n) => n > 0) ||
		[report.errors, report.warnings, report.skipped, report.conflicts, report.planned].some((list) => (list?.length ?? 0) > 0)
	);
}

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
				name: 'Sync Users of This Execution',
				value: 'user',
				description:
					'One report per input item (a sync user) from what this execution did (end of a per-user or per-shard run); work of no single user comes as one more item',
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
	{
		displayName: 'Every Sync User',
		name: 'expectedMailboxes',
		type: 'json',
		default: '[]',
		description:
			'The mailboxes this run was to synchronize (a list); one that brought no report of its calendar run gets an error line, so nobody drops out of the report unseen (a report with part "contacts", from a run that wrote contact folders only, does not count)',
		displayOptions: { show: { ...show, scope: ['run'] } },
	},
];

/**
 * The run report: counts of contacts, events and LN writes, conflicts, skipped items with
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
		const users = items.map((_, i) => ({
			mailbox: String(this.getNodeParameter('mailbox', i) ?? '').toLowerCase(),
			user: String(this.getNodeParameter('user', i, '') ?? '') || undefined,
		}));
		const mailboxes = new Set(users.map((u) => u.mailbox));
		// Work recorded without a mailbox belongs to the one user when there is one; otherwise it is
		// handed on as work of no single user, so the run's total still counts it.
		if (mailboxes.size === 1) for (const report of ledger.all()) if (report.mailbox === '') Object.assign(report, { mailbox: users[0].mailbox });
		const all = buildReports(ledger, [], users, { includeTotal: false });
		const shared = ledger.all().find((report) => report.mailbox === '');
		reports = all.filter((r) => mailboxes.has(r.mailbox));
		if (shared && hasContent(shared)) {
			const status = shared.errors.length > 0 ? 'errors' : shared.warnings.length > 0 ? 'warnings' : 'ok';
			reports.push({ ...shared, kind: 'user', status, dryRun: ledger.dryRun, durationMs: 0, startedAt: new Date(ledger.startedAt).toISOString(), brake: [] });
		}
	} else {
		items.forEach((item, i) => {
			const failure = item.json.kind === undefined ? failureOf(item.json.error) : undefined;
			if (failure) {
				// A per-user run that stopped (e.g. the mailbox may not be accessed), or a shard whose post got no answer.
				const mailbox = String(this.getNodeParameter('failedMailbox', i, '') ?? '').toLowerCase();
				ledger.error(mailbox, 'per-user run', classify(failure), failure);
			}
		});
		const incoming = items.map((item) => item.json as Partial<RunReport>).filter((json) => json && json.kind === 'user');
		const users = incoming.filter((r) => r.mailbox !== '').map((r) => ({ mailbox: String(r.mailbox), user: r.user }));
		const expected = listParameter<unknown>(this, 'expectedMailboxes', 'Every Sync User', 'mailboxes') ?? [];
		// Only a calendar run's own report counts: the pull's ledger knows every user from the contacts
		// step, and a job that wrote contact folders marks its reports with part "contacts".
		const calendarRuns = incoming.filter((r) => r.mailbox !== '' && (r as { part?: unknown }).part !== 'contacts');
		const reported = new Set(calendarRuns.map((r) => String(r.mailbox).toLowerCase()));
		for (const mailbox of expected.map((m) => String(m).toLowerCase())) {
			if (!reported.has(mailbox)) ledger.error(mailbox, 'per-user run', 'other', 'no report came back for this user: its calendar run did not finish (see the execution of the pull)');
		}
		reports = buildReports(ledger, incoming, users, { includeTotal: true });
	}
	dropLedger(executionId);
	const pairedItem = items.map((_, index) => ({ item: index }));
	return reports.map((report) => ({ json: report as unknown as IDataObject, pairedItem }));
}

/** The message of an error item: Execute Workflow gives a string, HTTP Request (a shard's post) an error object. */
function failureOf(error: unknown): string | undefined {
	if (typeof error === 'string') return error;
	if (!error || typeof error !== 'object') return undefined;
	const { message, description } = error as { message?: unknown; description?: unknown };
	if (typeof message !== 'string') return undefined;
	return typeof description === 'string' && description && !message.includes(description) ? `${message}: ${description}` : message;
}
