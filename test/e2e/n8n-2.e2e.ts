/** Current n8n 2.x on Node 24 with the packed package: pull and push sync, the history and status page, a pull killed half-way, then the editor in Chromium. */
import { N8N_2 } from '../../scripts/n8n/install';
import { describeEditor } from './editor';
import { describeKill } from './kill-suite';
import { describeMailboxState } from './lease-suite';
import { useN8n } from './n8n-context';
import { describeProxy } from './proxy-suite';
import { describeStatus } from './status-suite';
import { describeSync } from './sync-suite';

describe(`n8n ${N8N_2.n8n} on Node ${N8N_2.node}`, () => {
	const context = useN8n(N8N_2);
	describeSync(context);
	describeStatus(context);
	describeMailboxState(context);
	describeKill(context);
	describeProxy(context);
	describeEditor(context);
});
