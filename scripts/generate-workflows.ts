// Writes the shipped workflow files from their definitions: npm run workflows
import * as fs from 'node:fs';
import * as path from 'node:path';

import { errorAlertWorkflow } from './workflows/error-alert';
import { pullSyncWorkflow } from './workflows/pull-sync';
import { pushSyncWorkflow } from './workflows/push-sync';

export const WORKFLOW_FILES = {
	'pull-sync.json': pullSyncWorkflow,
	'push-sync.json': pushSyncWorkflow,
	'error-alert.json': errorAlertWorkflow,
};

export function renderWorkflow(build: () => object): string {
	return `${JSON.stringify(build(), null, '\t')}\n`;
}

if (require.main === module) {
	const dir = path.join(__dirname, '..', 'workflows');
	fs.mkdirSync(dir, { recursive: true });
	for (const [file, build] of Object.entries(WORKFLOW_FILES)) {
		fs.writeFileSync(path.join(dir, file), renderWorkflow(build));
		process.stdout.write(`workflows/${file}\n`);
	}
}
