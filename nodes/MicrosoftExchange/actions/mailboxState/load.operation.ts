import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { LeasedStateStore } from '../../../../lib/graph/sync-state';
import { ledgerFor } from '../../../../lib/sync/report';
import { show } from '../../descriptions/common';
import { listParameter, output } from '../../helpers/execute';

const where = show('mailboxState', ['load']);

export const description: INodeProperties[] = [
	{
		displayName: 'Users (JSON)',
		name: 'users',
		type: 'json',
		required: true,
		default: '[]',
		description: 'The sync users this execution is for (each with its "email")',
		displayOptions: where,
	},
	{
		displayName: 'State Kept In',
		name: 'store',
		type: 'options',
		options: [
			{ name: 'Mailbox Data Table', value: 'table', description: 'The rows whose lease this execution took (n8n 2.x; safe with executions side by side)' },
			{ name: 'Workflow Static Data', value: 'workflow', description: 'Where Data Tables are not available; safe only with one execution at a time' },
		],
		default: 'table',
		displayOptions: where,
	},
	{
		displayName: 'Leased Rows (JSON)',
		name: 'leasedRows',
		type: 'json',
		default: '[]',
		description: 'The rows of the mailbox Data Table whose lease this execution took (columns "mailbox" and "state")',
		displayOptions: { show: { resource: ['mailboxState'], operation: ['load'], store: ['table'] } },
	},
];

interface LeasedRow {
	mailbox?: unknown;
	state?: unknown;
}

/**
 * Starts the mailbox sync of an execution: the users whose mailbox it holds the lease of go on
 * (one item each), with their cursors and notes loaded; a user whose lease another execution holds
 * is reported and left to that one and the next run.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const users = listParameter<IDataObject>(this, 'users', 'Users', 'sync users') ?? [];
	users.forEach((user, index) => {
		if (typeof user?.email !== 'string' || !user.email.trim()) throw new Error(`Users: entry ${index + 1} has no field "email"`);
	});
	const ledger = ledgerFor(this.getExecutionId());
	if (this.getNodeParameter('store', 0) === 'workflow') return users.map((user) => output(user, 0));

	const rows = listParameter<LeasedRow>(this, 'leasedRows', 'Leased Rows', 'rows') ?? [];
	const store = (ledger.leasedState ??= new LeasedStateStore());
	for (const [index, row] of rows.entries()) {
		// An empty item stands for "no lease taken" (the lease step always outputs something).
		if (row === null || typeof row !== 'object' || row.mailbox === undefined) continue;
		if (typeof row.mailbox !== 'string' || !row.mailbox.trim()) throw new Error(`Leased Rows: row ${index + 1} has no field "mailbox"`);
		const problem = store.load(row.mailbox.trim(), row.state);
		if (problem) ledger.warn(row.mailbox.trim(), 'calendar', problem);
	}
	const out: INodeExecutionData[] = [];
	for (const user of users) {
		const mailbox = String(user.email).trim().toLowerCase();
		if (store.holds(mailbox)) out.push(output(user, 0));
		else ledger.warn(mailbox, 'lease', 'not synced in this run: another execution is syncing this mailbox (it holds the lease); that one and the next run take care of it');
	}
	return out;
}
