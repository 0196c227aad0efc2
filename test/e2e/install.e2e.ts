/**
 * `npm i <package>` in ~/.n8n/nodes, as n8n's docs say, on n8n 1.x / Node 20 and 2.x / Node 24, with
 * the packed package in a local npm registry (Verdaccio): the package installs alone, the node types
 * and credentials load, the shipped workflows import, and a pull runs clean against the emulators.
 * (The editor's *Community Nodes → Install* and N8N_COMMUNITY_PACKAGES take packages from the public
 * registry only: n8n refuses N8N_COMMUNITY_PACKAGES_REGISTRY without a license for custom registries.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ensureN8n, N8N_1, N8N_2, run, type N8nTarget } from '../../scripts/n8n/install';
import { freePort, N8nInstance } from '../../scripts/n8n/instance';
import { PACKAGE, tarballPath } from '../../scripts/n8n/package';
import { minuteJustGone, provision, PULL_ID } from '../../scripts/n8n/provision';
import { LocalRegistry } from '../../scripts/n8n/registry';
import { runPull } from '../../scripts/n8n/sync';
import { startEmulators, type EmulatorEnv, type RunningEmulators } from '../emulators/cli';
import { scenario } from '../workflows/scenario';
import { E2E_OWNER } from './n8n-context';

const log = (line: string) => process.stdout.write(`[e2e install] ${line}\n`);
const OUR_NODES = ['inforLn', 'inforLnTrigger', 'microsoftExchange', 'microsoftGraphTrigger'].map((name) => `${PACKAGE.name}.${name}`);
const OUR_CREDENTIALS = ['inforLnIonApi', 'inforLnWebhookApi', 'microsoftGraphAppOnlyApi'];

let registry: LocalRegistry;
let emulators: RunningEmulators;
let env: EmulatorEnv;

beforeAll(async () => {
	registry = new LocalRegistry();
	await registry.start(log);
	await registry.publish(tarballPath());
	log(`published ${path.basename(tarballPath())} to ${registry.url}`);
	emulators = await startEmulators({ lnPort: 0, graphPort: 0 });
	const data = scenario();
	emulators.ln.seed(data.lnSeed);
	emulators.graph.seed(data.graphSeed);
	env = {
		...emulators.env,
		LN_IONAPI: JSON.stringify(emulators.ln.ionapi()),
		GRAPH_TENANT_ID: emulators.graph.tenantId,
		GRAPH_CLIENT_ID: emulators.graph.app.clientId,
		GRAPH_CLIENT_SECRET: emulators.graph.app.clientSecret,
	};
}, 15 * 60_000);

afterAll(async () => {
	await registry?.stop();
	await emulators?.stop();
});

async function freshInstance(target: N8nTarget, name: string): Promise<N8nInstance> {
	const install = await ensureN8n(target, log);
	return new N8nInstance({ install, name, port: await freePort(), brokerPorts: [await freePort(), await freePort()], fresh: true });
}

/** What n8n loaded, from the editor's own type lists. */
async function loadedTypes(instance: N8nInstance): Promise<{ nodes: string[]; credentials: string[] }> {
	await instance.ensureOwner(E2E_OWNER);
	await instance.login(E2E_OWNER);
	const nodes = await instance.getJson<Array<{ name: string }>>('/types/nodes.json');
	const credentials = await instance.getJson<Array<{ name: string }>>('/types/credentials.json');
	return { nodes: nodes.map((n) => n.name), credentials: credentials.map((c) => c.name) };
}

/** With the package installed and n8n running: our types are there; then the workflows import and a pull runs clean. */
async function provesInstalled(instance: N8nInstance): Promise<void> {
	const types = await loadedTypes(instance);
	expect(OUR_NODES.filter((type) => !types.nodes.includes(type))).toEqual([]);
	expect(OUR_CREDENTIALS.filter((type) => !types.credentials.includes(type))).toEqual([]);
	await instance.stop();
	await provision(instance, { env, log, schedulesAt: minuteJustGone() });
	await instance.activateWorkflow(PULL_ID);
	await instance.start();
	emulators.ln.seed(scenario().lnSeed);
	emulators.graph.seed(scenario().graphSeed);
	const pull = await runPull(instance);
	expect(pull.failed).toBeUndefined();
	const total = pull.report.find((r) => r.kind === 'total') as { errors: unknown[]; counts: Record<string, number> };
	expect(total.errors).toEqual([]);
	expect(total.counts.lnAppointmentsCreated).toBeGreaterThan(0);
}

describe.each([N8N_1, N8N_2])('npm i in ~/.n8n/nodes, as n8n\'s docs say, on n8n $n8n', (target) => {
	let instance: N8nInstance;
	afterAll(() => instance?.stop());

	it('installs the package alone (no n8n-workflow of its own), and n8n loads and runs it', async () => {
		instance = await freshInstance(target, `install-npm-${target.n8n}`);
		const nodes = path.join(instance.userFolder, '.n8n', 'nodes');
		fs.mkdirSync(nodes, { recursive: true });
		// The folder's own package.json, as n8n keeps it there: this user folder lies inside the n8n
		// install, and npm would otherwise take that install's package.json as the project.
		fs.writeFileSync(path.join(nodes, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true }, null, 2));
		// The user's npm, pointed at the registry as their npm config would be.
		await run('npm', ['i', PACKAGE.name, '--loglevel=error'], {
			cwd: nodes,
			env: { PATH: instance.install.path, HOME: process.env.HOME ?? '', npm_config_userconfig: registry.npmrc(), npm_config_audit: 'false', npm_config_fund: 'false' },
		});
		expect(fs.existsSync(path.join(nodes, 'node_modules', PACKAGE.name, 'dist', 'vendor', 'luxon.js'))).toBe(true);
		expect(fs.readdirSync(path.join(nodes, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual([PACKAGE.name]);
		await instance.start();
		await provesInstalled(instance);
	}, 10 * 60_000);
});
