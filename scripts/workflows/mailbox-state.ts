/**
 * One execution per mailbox at a time, and the state it carries between runs, in the n8n Data Table
 * "LN Exchange Sync mailboxes" (made on first use): before its sync an execution takes the lease of
 * each mailbox (a conditional update: only where the lease has ended), loads the cursors and notes of
 * that row, and at the end writes them back as it releases the lease. Without Data Tables (n8n 1.x,
 * `n8n execute`) the table step fails softly and the state stays in the workflow's static data.
 */
import { MAILBOX_COLUMNS, MAILBOX_TABLE } from '../../lib/graph/sync-state';
import { CREDENTIALS, DATA_TABLE, dataTableCreateNode, ifNode, ours, type WorkflowBuilder } from './builder';

export const USERS_TO_SYNC = 'Users to sync';
const tableId = { __rl: true, mode: 'id', value: "={{ $('Mailbox table').first().json.id }}" };
const condition = (keyName: string, op: string, keyValue: string) => ({ keyName, condition: op, keyValue });
const values = (value: Record<string, unknown>) => ({ mappingMode: 'defineBelow', value, matchingColumns: [], schema: [], attemptToConvertTypes: false, convertFieldsToString: false });

/**
 * After `start` (one item per sync user, with `email`): the leases, then "Users to sync" (one item per
 * user whose mailbox this execution holds). Returns that node's name: the per-user work follows it.
 */
export function addMailboxLeases(w: WorkflowBuilder, options: { start: string; at: [number, number]; leaseMinutes: string }): string {
	const [x, y] = options.at;
	const email = `$('${options.start}').item.json.email.toLowerCase()`;
	// Where the node cannot work (n8n 1.x has no table operations) its input passes on unchanged.
	w.add({ ...dataTableCreateNode('Mailbox table', [x, y], MAILBOX_TABLE, MAILBOX_COLUMNS), onError: 'continueRegularOutput' });
	w.add(ifNode('Data Tables here?', [x + 200, y], `={{ $('Mailbox table').all().every(item => item.json.name === ${JSON.stringify(MAILBOX_TABLE)} && item.json.id !== undefined) }}`));
	// Rows are made before anyone contends for them; the lease is then a compare-and-set on the row.
	w.add({
		name: 'New mailbox?',
		type: DATA_TABLE,
		typeVersion: 1,
		position: [x + 440, y - 120],
		parameters: { resource: 'row', operation: 'rowNotExists', dataTableId: tableId, matchType: 'allConditions', filters: { conditions: [condition('mailbox', 'eq', `={{ ${email} }}`)] } },
	});
	w.add({
		name: 'Add mailbox row',
		type: DATA_TABLE,
		typeVersion: 1,
		position: [x + 680, y - 120],
		parameters: { resource: 'row', operation: 'insert', dataTableId: tableId, columns: values({ mailbox: `={{ ${email} }}`, leaseUntil: 0, leaseHolder: '', state: '' }), options: {} },
	});
	w.add({
		name: 'Take lease',
		type: DATA_TABLE,
		typeVersion: 1,
		position: [x + 440, y + 60],
		alwaysOutputData: true,
		parameters: {
			resource: 'row',
			operation: 'update',
			dataTableId: tableId,
			matchType: 'allConditions',
			filters: { conditions: [condition('mailbox', 'eq', `={{ ${email} }}`), condition('leaseUntil', 'lt', '={{ $now.toMillis() }}')] },
			columns: values({ leaseUntil: `={{ $now.plus(Number(${options.leaseMinutes}) || 30, 'minutes').toMillis() }}`, leaseHolder: '={{ $execution.id }}' }),
			options: {},
		},
	});
	w.add({
		name: USERS_TO_SYNC,
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [x + 680, y + 180],
		credentials: CREDENTIALS.graph,
		executeOnce: true,
		parameters: {
			resource: 'mailboxState',
			operation: 'load',
			users: `={{ $('${options.start}').all().map(item => item.json) }}`,
			store: "={{ $('Take lease').isExecuted ? 'table' : 'workflow' }}",
			leasedRows: "={{ $('Take lease').isExecuted ? $('Take lease').all().map(item => item.json) : [] }}",
		},
	});
	w.connect(options.start, 'Mailbox table').connect('Mailbox table', 'Data Tables here?');
	w.connect('Data Tables here?', 'New mailbox?', 0).connect('New mailbox?', 'Add mailbox row');
	w.connect('Data Tables here?', 'Take lease', 0).connect('Take lease', USERS_TO_SYNC);
	// No Data Tables: the state stays in the workflow's static data.
	w.connect('Data Tables here?', USERS_TO_SYNC, 1);
	return USERS_TO_SYNC;
}

/** Last of what follows "Users to sync": the new state written back, the leases released. */
export function addMailboxRelease(w: WorkflowBuilder, at: [number, number]): void {
	const [x, y] = at;
	w.add({
		name: 'Mailbox states',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [x, y],
		credentials: CREDENTIALS.graph,
		executeOnce: true,
		parameters: { resource: 'mailboxState', operation: 'save' },
	});
	w.add({
		name: 'Keep state, release lease',
		type: DATA_TABLE,
		typeVersion: 1,
		position: [x + 240, y],
		// Only while this execution still holds the lease: one that ran out may be another's now.
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'row',
			operation: 'update',
			dataTableId: tableId,
			matchType: 'allConditions',
			filters: { conditions: [condition('mailbox', 'eq', '={{ $json.mailbox }}'), condition('leaseHolder', 'eq', '={{ $execution.id }}')] },
			columns: values({ state: '={{ $json.state }}', leaseUntil: 0, leaseHolder: '' }),
			options: {},
		},
	});
	w.connect(USERS_TO_SYNC, 'Mailbox states').connect('Mailbox states', 'Keep state, release lease');
}
