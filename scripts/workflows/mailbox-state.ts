/**
 * One execution per mailbox at a time, and the state it carries between runs, in the n8n Data Table
 * "LN Exchange Sync mailboxes" (made on first use): before its sync an execution takes the lease of
 * each mailbox (a conditional update: only where the lease has ended), loads the cursors and notes of
 * that row, and at the end writes them back as it releases the lease. Without Data Tables (n8n 1.x,
 * `n8n execute`) the table step fails softly and the state stays in the workflow's static data.
 */
import { MAILBOX_COLUMNS, MAILBOX_TABLE } from '../../lib/graph/sync-state';
import { CREDENTIALS, DATA_TABLE, dataTableCreateNode, ifNode, ours, type WorkflowBuilder, type WorkflowNode } from './builder';

export const USERS_TO_SYNC = 'Users to sync';
export const TAKE_LEASE = 'Take lease';
export const DATA_TABLES_HERE = 'Data Tables here?';
/** The rows whose lease this execution holds (an expression; items, some empty where no lease came back). */
export const LEASED_ROWS = `[...$('Take own lease').all(), ...$('${TAKE_LEASE}').all()]`;
const tableId = { __rl: true, mode: 'id', value: "={{ $('Mailbox table').first().json.id }}" };
const condition = (keyName: string, op: string, keyValue: string) => ({ keyName, condition: op, keyValue });
const values = (value: Record<string, unknown>) => ({ mappingMode: 'defineBelow', value, matchingColumns: [], schema: [], attemptToConvertTypes: false, convertFieldsToString: false });

/** n8n's Data Table node setting `columns` on the rows that meet every condition (one UPDATE … WHERE). */
function rowUpdate(name: string, position: [number, number], conditions: Array<ReturnType<typeof condition>>, columns: Record<string, unknown>): Omit<WorkflowNode, 'id'> {
	return {
		name,
		type: DATA_TABLE,
		typeVersion: 1,
		position,
		parameters: { resource: 'row', operation: 'update', dataTableId: tableId, matchType: 'allConditions', filters: { conditions }, columns: values(columns), options: {} },
	};
}

/**
 * After `start` (one item per mailbox): the mailbox table (found or made once), the rows made, the leases taken, and the
 * state of the leased mailboxes loaded (`load`, which also reports the mailboxes another execution
 * holds). The caller connects what follows: "Take lease" (one row per leased mailbox, paired to its
 * item) and output 1 of "Data Tables here?" (no Data Tables: every item, the state in static data).
 */
export function addMailboxLeases(
	w: WorkflowBuilder,
	options: { start: string; at: [number, number]; leaseMinutes: string; mailbox: string; users: string; load: string },
): void {
	const [x, y] = options.at;
	const email = `${options.mailbox}.toLowerCase()`;
	// Once per execution, above the rest so that n8n's order runs it first. Where the node cannot work
	// (n8n 1.x has no table operations) its input passes on unchanged, and no table comes out.
	w.add({ ...dataTableCreateNode('Mailbox table', [x, y], MAILBOX_TABLE, MAILBOX_COLUMNS), executeOnce: true, onError: 'continueRegularOutput' });
	w.add(ifNode(DATA_TABLES_HERE, [x + 200, y + 40], `={{ $('Mailbox table').first().json.name === ${JSON.stringify(MAILBOX_TABLE)} && $('Mailbox table').first().json.id !== undefined }}`));
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
	const leaseUntil = `={{ $now.plus(Number(${options.leaseMinutes}) || 30, 'minutes').toMillis() }}`;
	// n8n runs a queue job again when its worker died (same execution): it gets back what it held.
	w.add({ ...rowUpdate('Take own lease', [x + 440, y - 20], [condition('mailbox', 'eq', `={{ ${email} }}`), condition('leaseHolder', 'eq', '={{ $execution.id }}')], { leaseUntil }), alwaysOutputData: true });
	w.add({ ...rowUpdate(TAKE_LEASE, [x + 440, y + 60], [condition('mailbox', 'eq', `={{ ${email} }}`), condition('leaseUntil', 'lt', '={{ $now.toMillis() }}')], { leaseUntil, leaseHolder: '={{ $execution.id }}' }), alwaysOutputData: true });
	w.add({
		name: options.load,
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [x + 680, y + 180],
		credentials: CREDENTIALS.graph,
		executeOnce: true,
		parameters: {
			resource: 'mailboxState',
			operation: 'load',
			users: options.users,
			store: `={{ $('${TAKE_LEASE}').isExecuted ? 'table' : 'workflow' }}`,
			leasedRows: `={{ $('${TAKE_LEASE}').isExecuted ? ${LEASED_ROWS}.map(item => item.json) : [] }}`,
		},
	});
	w.connect(options.start, 'Mailbox table').connect(options.start, DATA_TABLES_HERE);
	w.connect(DATA_TABLES_HERE, 'New mailbox?', 0).connect('New mailbox?', 'Add mailbox row');
	w.connect(DATA_TABLES_HERE, 'Take own lease', 0).connect(DATA_TABLES_HERE, TAKE_LEASE, 0).connect(TAKE_LEASE, options.load);
}

/** Last of what follows `after`: the new state written back, the leases released. */
export function addMailboxRelease(w: WorkflowBuilder, at: [number, number], after: string): void {
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
	// Only while this execution still holds the lease: one that ran out may be another's now.
	w.add({
		...rowUpdate('Keep state, release lease', [x + 240, y], [condition('mailbox', 'eq', '={{ $json.mailbox }}'), condition('leaseHolder', 'eq', '={{ $execution.id }}')], { state: '={{ $json.state }}', leaseUntil: 0, leaseHolder: '' }),
		onError: 'continueRegularOutput',
	});
	w.connect(after, 'Mailbox states').connect('Mailbox states', 'Keep state, release lease');
}
