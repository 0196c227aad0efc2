import type { INodeExecutionData, INodeProperties, IExecuteFunctions } from 'n8n-workflow';

import { ledgerFor } from '../../../../lib/sync/report';
import { output } from '../../helpers/execute';

export const description: INodeProperties[] = [];

/**
 * Ends the mailbox sync of an execution: one item per mailbox it loaded (Mailbox State → Load),
 * with "mailbox" and the new "state" to write back into its row as the lease is released. Nothing
 * when the state is kept in the workflow's static data (n8n saves that itself).
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const store = ledgerFor(this.getExecutionId()).leasedState;
	if (!store) return [];
	return store.mailboxes().map((mailbox) => output({ mailbox, state: store.stateText(mailbox) }, 0));
}
