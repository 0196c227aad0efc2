import * as fs from 'node:fs';
import * as path from 'node:path';

import { renderWorkflow, WORKFLOW_FILES } from '../../scripts/generate-workflows';
import { PACKAGE } from '../harness/environment';
import { WORKFLOW_DIR } from './workflow-helpers';

describe('shipped workflow files', () => {
	it.each(Object.entries(WORKFLOW_FILES))('%s is what scripts/workflows makes (run npm run workflows after a change)', (file, build) => {
		expect(fs.readFileSync(path.join(WORKFLOW_DIR, file), 'utf8')).toBe(renderWorkflow(build));
	});

	it.each(Object.keys(WORKFLOW_FILES))('%s uses our nodes by package name, no Code node, and explains itself in sticky notes', (file) => {
		const workflow = JSON.parse(fs.readFileSync(path.join(WORKFLOW_DIR, file), 'utf8')) as { nodes: Array<{ type: string; name: string; parameters: Record<string, unknown> }> };
		const types = new Set(workflow.nodes.map((n) => n.type));
		expect([...types].filter((t) => !t.startsWith('n8n-nodes-base.') && !t.startsWith(`${PACKAGE}.`))).toEqual([]);
		expect(types.has('n8n-nodes-base.code')).toBe(false);
		expect(types.has('n8n-nodes-base.function')).toBe(false);
		const notes = workflow.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote').map((n) => String(n.parameters.content));
		expect(notes.join('\n')).toMatch(/Credentials:/);
		expect(workflow.nodes.filter((n) => n.name === 'Settings')).toHaveLength(1);
	});
});
