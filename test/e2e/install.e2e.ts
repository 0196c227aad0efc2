/**
 * The ways n8n documents to install a community package, each tried against real n8n with the packed
 * package in a local npm registry (Verdaccio): `npm i <package>` in ~/.n8n/nodes on n8n 1.x / Node 20
 * and 2.x / Node 24, the editor's *Settings → Community Nodes → Install* in Chromium, and n8n 2.x's
 * environment-managed packages (N8N_COMMUNITY_PACKAGES). In each, the node types and credentials
 * load, the shipped workflows import, and a pull runs clean against the emulators.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { chromium } from 'playwright-core';

import { ensureN8n, N8N_1, N8N_2, run, type N8nTarget } from '../../scripts/n8n/install';
import { freePort, N8nInstance } from '../../scripts/n8n/instance';
import { PACKAGE, tarballPath } from '../../scripts/n8n/package';
import { provision, PULL_ID } from '../../scripts/n8n/provision';
import { LocalRegistry } from '../../scripts/n8n/registry';
import { runPull } from '../../scripts/n8n/sync';
import { startEmulators, type EmulatorEnv, type RunningEmulators } from '../emulators/cli';
import { scenario } from '../workflows/scenario';
import { CHROMIUM } from './editor';
import { ARTIFACTS_DIR, E2E_OWNER } from './n8n-context';

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
	const nodes = (await (await fetch(`${instance.url}/types/nodes.json`)).json()) as Array<{ name: string }>;
	const credentials = (await (await fetch(`${instance.url}/types/credentials.json`)).json()) as Array<{ name: string }>;
	return { nodes: nodes.map((n) => n.name), credentials: credentials.map((c) => c.name) };
}

/** With the package installed and n8n running: our types are there; then the workflows import and a pull runs clean. */
async function provesInstalled(instance: N8nInstance, startEnv: Record<string, string> = {}): Promise<void> {
	const types = await loadedTypes(instance);
	expect(OUR_NODES.filter((type) => !types.nodes.includes(type))).toEqual([]);
	expect(OUR_CREDENTIALS.filter((type) => !types.credentials.includes(type))).toEqual([]);
	await instance.stop();
	await provision(instance, { env, log });
	await instance.activateWorkflow(PULL_ID);
	await instance.start({ env: startEnv });
	emulators.ln.seed(scenario().lnSeed);
	emulators.graph.seed(scenario().graphSeed);
	const pull = await runPull(instance);
	expect(pull.failed).toBeUndefined();
	const total = pull.report.find((r) => r.kind === 'total') as { errors: unknown[]; counts: Record<string, number> };
	expect(total.errors).toEqual([]);
	expect(total.counts.lnAppointmentsCreated).toBeGreaterThan(0);
}

describe.each([N8N_1, N8N_2])('npm i in ~/.n8n/nodes, as n8n\'s docs say, on n8n %o', (target) => {
	let instance: N8nInstance;
	afterAll(() => instance?.stop());

	it('installs the package alone (no n8n-workflow of its own), and n8n loads and runs it', async () => {
		instance = await freshInstance(target, `install-npm-${target.n8n}`);
		const nodes = path.join(instance.userFolder, '.n8n', 'nodes');
		fs.mkdirSync(nodes, { recursive: true });
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

describe(`n8n ${N8N_2.n8n}: packages managed from the environment (N8N_COMMUNITY_PACKAGES)`, () => {
	let instance: N8nInstance;
	afterAll(() => instance?.stop());

	it('installs the package at start from the configured registry, and n8n loads and runs it', async () => {
		instance = await freshInstance(N8N_2, 'install-env');
		const managed = {
			N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV: 'true',
			N8N_COMMUNITY_PACKAGES: JSON.stringify([{ name: PACKAGE.name, version: PACKAGE.version }]),
			N8N_COMMUNITY_PACKAGES_REGISTRY: registry.url,
		};
		await instance.start({ env: managed });
		await provesInstalled(instance, managed);
	}, 10 * 60_000);
});

describe(`n8n ${N8N_2.n8n}: Settings → Community Nodes → Install, in Chromium`, () => {
	let instance: N8nInstance;
	afterAll(() => instance?.stop());

	it('installs the package from the editor, and n8n loads and runs it', async () => {
		instance = await freshInstance(N8N_2, 'install-editor');
		const fromRegistry = { N8N_COMMUNITY_PACKAGES_REGISTRY: registry.url };
		await instance.start({ env: fromRegistry });
		await instance.ensureOwner(E2E_OWNER);
		const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
		const shots = path.join(ARTIFACTS_DIR, 'install-editor');
		fs.mkdirSync(shots, { recursive: true });
		const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
		try {
			await page.goto(`${instance.url}/signin`);
			await page.locator('input[type="email"], input[name="emailOrLdapLoginId"], input[name="email"]').first().fill(E2E_OWNER.email);
			await page.locator('input[type="password"]').first().fill(E2E_OWNER.password);
			await page.locator('[data-test-id="form-submit-button"], button[type="submit"]').first().click();
			await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 60_000 });
			await page.goto(`${instance.url}/settings/community-nodes`);
			await page.screenshot({ path: path.join(shots, '1-community-nodes.png') });
			await page.getByRole('button', { name: /install/i }).first().click();
			await page.locator('input[placeholder*="n8n-nodes"], [data-test-id="communityPackageInstall-modal"] input').first().fill(PACKAGE.name);
			await page.locator('[data-test-id="user-agreement-checkbox"], .el-checkbox').last().click();
			await page.screenshot({ path: path.join(shots, '2-install-modal.png') });
			await page.locator('[data-test-id="install-community-package-button"]').or(page.getByRole('dialog').getByRole('button', { name: /^install$/i })).first().click();
			await page.getByText(PACKAGE.name).first().waitFor({ timeout: 120_000 });
			await page.waitForTimeout(2000);
			await page.screenshot({ path: path.join(shots, '3-installed.png') });
		} finally {
			await browser.close();
		}
		await provesInstalled(instance, fromRegistry);
	}, 10 * 60_000);
});
