import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { renderStatusPage } from '../../../../lib/status/page';
import { buildStatus, type PlanReport, type StoredRow, type SubscriptionLike } from '../../../../lib/status/status';
import { listParameter } from '../../helpers/execute';

const show = { resource: ['report'], operation: ['statusPage'] };

export const description: INodeProperties[] = [
	{
		displayName: 'History',
		name: 'history',
		type: 'json',
		default: '',
		description: 'Rows of the history Data Table (a list); empty: the input items',
		displayOptions: { show },
	},
	{
		displayName: 'Sync Users',
		name: 'syncUsers',
		type: 'json',
		default: '[]',
		description: 'The sync users (the output of Infor LN → Sync User → Get Many, as a list): each gets a line, also one with nothing to report lately',
		displayOptions: { show },
	},
	{
		displayName: 'Push Subscriptions',
		name: 'subscriptions',
		type: 'json',
		default: '[]',
		description: 'Graph subscriptions (the output of Microsoft Exchange → Subscription → Get Many, as a list)',
		displayOptions: { show },
	},
	{
		displayName: 'Plan',
		name: 'plan',
		type: 'json',
		default: '',
		description: 'The report of a dry run (a list of report items): shown as what the next run would change. Empty: the page offers a link instead.',
		displayOptions: { show },
	},
	{
		displayName: 'Plan Link',
		name: 'planLink',
		type: 'string',
		default: '?plan=1',
		description: 'Where the page links to for the plan of the next run',
		displayOptions: { show },
	},
];

/** The status page (HTML) from the history rows, the sync users and the push subscriptions. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	// An empty history comes as one empty item (the read node always outputs data).
	const history = listParameter<StoredRow>(this, 'history', 'History') ?? items.map((item) => item.json as StoredRow);
	const rows = history.filter((row) => row && (row.kind === 'user' || row.kind === 'total'));
	const syncUsers = (listParameter<{ email?: unknown; user?: unknown }>(this, 'syncUsers', 'Sync Users') ?? []).map((user, index) => {
		const mailbox = typeof user === 'string' ? user : String(user?.email ?? '');
		if (!mailbox.includes('@')) throw new NodeOperationError(this.getNode(), `Sync Users item ${index}: field email is not a mailbox (${JSON.stringify(user)})`);
		return { mailbox, lnUser: typeof user === 'string' ? '' : String(user.user ?? '') };
	});
	const model = buildStatus({
		rows,
		syncUsers,
		subscriptions: listParameter<SubscriptionLike>(this, 'subscriptions', 'Push Subscriptions'),
		plan: listParameter<PlanReport>(this, 'plan', 'Plan'),
		now: new Date(),
	});
	const html = renderStatusPage(model, { planLink: String(this.getNodeParameter('planLink', 0, '') ?? '') || undefined });
	return [{ json: { html, status: model as unknown as IDataObject }, pairedItem: items.map((_, item) => ({ item })) }];
}
