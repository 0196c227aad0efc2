import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { RunReport } from '../../../../lib/sync/report';
import { historyRow, HISTORY_COLUMNS, HISTORY_TABLE, worthKeeping } from '../../../../lib/status/history';
import { listParameter } from '../../helpers/execute';

const show = { resource: ['report'], operation: ['history'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Run Report',
		name: 'reports',
		type: 'json',
		default: '',
		description: 'The report items (of a report node set to "Whole Run"), as a list; empty: the input items',
		displayOptions: { show },
	},
	{
		displayName: 'Covers Every Sync User',
		name: 'everyUser',
		type: 'boolean',
		default: false,
		description: 'Whether the run synchronized every sync user (a pull): then a user with nothing to report gets no row of its own, the total stands for it',
		displayOptions: { show },
	},
	{
		displayName: 'Workflow',
		name: 'workflowLabel',
		type: 'string',
		default: '={{ $workflow.name }}',
		description: 'Which workflow ran (kept with each row)',
		displayOptions: { show },
	},
	{
		displayName: `Makes the rows of the Data Table "${HISTORY_TABLE}": the total and each user with something to report. Columns: ${HISTORY_COLUMNS.map((c) => c.name).join(', ')}.`,
		name: 'historyNotice',
		type: 'notice',
		default: '',
		displayOptions: { show },
	},
];

/** The run report as history rows: counts, reasons, error classes, durations and requests, nothing secret. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const given = listParameter<Partial<RunReport>>(this, 'reports', 'Run Report', 'report items');
	const reports = given ?? items.map((item) => item.json as Partial<RunReport>);
	const context = {
		execution: this.getExecutionId() ?? '',
		workflow: String(this.getNodeParameter('workflowLabel', 0, '') ?? ''),
		everyUser: this.getNodeParameter('everyUser', 0, false) as boolean,
	};
	const pairedItem = given === undefined ? undefined : items.map((_, item) => ({ item }));
	const out: INodeExecutionData[] = [];
	for (const [index, report] of reports.entries()) {
		try {
			if (!worthKeeping(report, context.everyUser)) continue;
			out.push({ json: historyRow(report, context) as unknown as IDataObject, pairedItem: pairedItem ?? { item: index } });
		} catch (error) {
			const message = `Report item ${index}: ${(error as Error).message}`;
			if (!this.continueOnFail()) throw new NodeOperationError(this.getNode(), message, { itemIndex: given === undefined ? index : 0 });
			out.push({ json: { error: message }, pairedItem: pairedItem ?? { item: index } });
		}
	}
	return out;
}
