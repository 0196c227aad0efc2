/** n8n 1.x (the newest that runs on Node 20) with the packed package: pull and push sync. */
import { N8N_1 } from '../../scripts/n8n/install';
import { useN8n } from './n8n-context';
import { describeProxy } from './proxy-suite';
import { describeSync } from './sync-suite';

describe(`n8n ${N8N_1.n8n} on Node ${process.version.slice(1)}`, () => {
	const context = useN8n(N8N_1);
	describeSync(context);
	describeProxy(context);
});
