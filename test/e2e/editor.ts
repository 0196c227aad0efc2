/**
 * The editor of a running n8n in Debian's Chromium (playwright-core, no browser download): the
 * shipped workflows render every node with its own icon, each of our nodes opens its parameter
 * panel, and both of our credentials can be created from the UI. Screenshots go to artifacts/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { PACKAGE } from '../../scripts/n8n/package';
import { PULL_ID, PUSH_ID, WORKFLOW_FILES } from '../../scripts/n8n/provision';
import { ARTIFACTS_DIR, E2E_OWNER, waitFor, type N8nContext } from './n8n-context';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

const isOurs = (type: string) => type.startsWith(`${PACKAGE.name}.`);
/** The icon file each of our node types must show (a type not listed: any icon of the package). */
const OUR_ICONS: Record<string, string> = {
	[`${PACKAGE.name}.inforLn`]: 'inforLn.svg',
	[`${PACKAGE.name}.inforLnTrigger`]: 'inforLnTrigger.svg',
	[`${PACKAGE.name}.microsoftExchange`]: 'microsoftExchange.svg',
	[`${PACKAGE.name}.microsoftGraphTrigger`]: 'microsoftGraphTrigger.svg',
};
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface WorkflowFile {
	nodes: Array<{ name: string; type: string }>;
}

function shippedNodes(file: string): WorkflowFile['nodes'] {
	return (JSON.parse(fs.readFileSync(file, 'utf8')) as WorkflowFile).nodes;
}

interface RenderedNode {
	name: string;
	type: string;
	placeholder: boolean;
	img?: { src: string; loaded: boolean };
	svg: boolean;
}

export function describeEditor(context: N8nContext): void {
	describe('the editor in Chromium', () => {
		let browser: Browser;
		let browserContext: BrowserContext;
		let page: Page;
		let userDataDir: string;
		const pageErrors: string[] = [];
		const shot = async (name: string) => {
			fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
			await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`) });
		};

		beforeAll(async () => {
			if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
			userDataDir = fs.mkdtempSync(path.join(context.instance.userFolder, 'chromium-'));
			// A persistent context is the way to give Chromium its own (fresh) user-data-dir.
			browserContext = await chromium.launchPersistentContext(userDataDir, {
				executablePath: CHROMIUM,
				args: CHROMIUM_ARGS,
				headless: true,
				viewport: { width: 1600, height: 1000 },
			});
			browser = browserContext.browser()!;
			page = browserContext.pages()[0] ?? (await browserContext.newPage());
			page.setDefaultTimeout(30_000);
			page.on('pageerror', (error) => pageErrors.push(error.message));
			await page.goto(`${context.instance.url}/signin`);
			await page.locator('[data-test-id="emailOrLdapLoginId"] input').fill(E2E_OWNER.email);
			await page.locator('[data-test-id="password"] input').fill(E2E_OWNER.password);
			await page.locator('[data-test-id="form-submit-button"]').click();
			await page.waitForURL((url) => !url.pathname.includes('signin'));
		}, 120_000);

		afterAll(async () => {
			await browserContext?.close();
			void browser;
			if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
		});

		async function openWorkflow(id: string): Promise<RenderedNode[]> {
			await page.goto(`${context.instance.url}/workflow/${id}`);
			await page.waitForSelector('[data-test-id="canvas-node"]');
			// Icons are images fetched after the canvas is drawn.
			await page.waitForLoadState('networkidle');
			return await page.locator('[data-test-id="canvas-node"]').evaluateAll((elements) =>
				elements.map((element) => {
					const icon = element.querySelector('.n8n-node-icon');
					const img = icon?.querySelector('img') as { complete: boolean; naturalWidth: number; getAttribute(name: string): string | null } | null;
					return {
						name: element.getAttribute('data-node-name') ?? '',
						type: element.getAttribute('data-node-type') ?? '',
						placeholder: !!icon?.querySelector('[class*="nodeIconPlaceholder"]'),
						img: img ? { src: img.getAttribute('src') ?? '', loaded: img.complete && img.naturalWidth > 0 } : undefined,
						svg: !!icon?.querySelector('svg'),
					};
				}),
			);
		}

		function expectIcons(rendered: RenderedNode[], file: string): void {
			const expected = shippedNodes(file).filter((n) => n.type !== 'n8n-nodes-base.stickyNote');
			expect(rendered.filter((n) => n.type !== 'n8n-nodes-base.stickyNote').map((n) => n.name).sort()).toEqual(expected.map((n) => n.name).sort());
			for (const node of rendered) {
				if (node.type === 'n8n-nodes-base.stickyNote') continue;
				expect({ node: node.name, placeholder: node.placeholder }).toEqual({ node: node.name, placeholder: false });
				if (isOurs(node.type)) {
					const file = OUR_ICONS[node.type] ? escape(OUR_ICONS[node.type]) : '[^/]+\\.(svg|png)';
					expect({ node: node.name, src: node.img?.src.split('?')[0], loaded: node.img?.loaded }).toEqual({
						node: node.name,
						src: expect.stringMatching(new RegExp(`^/icons/${escape(PACKAGE.name)}/.*/${file}$`)),
						loaded: true,
					});
				} else {
					expect({ node: node.name, icon: node.svg || !!node.img?.loaded }).toEqual({ node: node.name, icon: true });
				}
			}
		}

		/** Opens a node's panel (double click), checks its parameters show without error, closes it. */
		async function openPanel(name: string, screenshot?: string): Promise<void> {
			await page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`).dblclick();
			const ndv = page.locator('[data-test-id="ndv"]');
			await ndv.waitFor();
			await ndv.locator('[data-test-id="node-parameters"] [data-test-id="parameter-item"]').first().waitFor();
			const text = await ndv.innerText();
			expect({ node: name, notInstalled: /not currently installed|install this node/i.test(text) }).toEqual({ node: name, notInstalled: false });
			expect({ node: name, issues: await ndv.locator('[data-test-id="parameter-issues"], [data-test-id="node-issues"]').count() }).toEqual({ node: name, issues: 0 });
			expect({ node: name, credential: await ndv.locator('[data-test-id="node-credentials-select"]').count() > 0 || !(await hasCredentialSlot(name)) }).toEqual({ node: name, credential: true });
			if (screenshot) await shot(screenshot);
			await page.locator('[data-test-id="ndv-close-button"]').click();
			await ndv.waitFor({ state: 'hidden' });
		}

		const hasCredentialSlot = async (name: string) => shippedNodes(WORKFLOW_FILES.pull).concat(shippedNodes(WORKFLOW_FILES.push)).some((n) => n.name === name && isOurs(n.type));

		it('knows every node type of the shipped workflows', async () => {
			const response = await page.request.get(`${context.instance.url}/types/nodes.json`);
			expect(response.ok()).toBe(true);
			const known = new Set(((await response.json()) as Array<{ name: string }>).map((t) => t.name));
			const used = new Set([...shippedNodes(WORKFLOW_FILES.pull), ...shippedNodes(WORKFLOW_FILES.push), ...shippedNodes(WORKFLOW_FILES.alert)].map((n) => n.type));
			expect([...used].filter((type) => !known.has(type))).toEqual([]);
		});

		for (const [label, id, file] of [
			['pull', PULL_ID, WORKFLOW_FILES.pull],
			['push', PUSH_ID, WORKFLOW_FILES.push],
		] as const) {
			it(`shows the ${label} workflow with every node's own icon, and opens each of our nodes`, async () => {
				const rendered = await openWorkflow(id);
				await shot(`editor-${label}-sync`);
				expectIcons(rendered, file);
				const shotOfType = new Set<string>();
				for (const node of rendered.filter((n) => isOurs(n.type))) {
					const first = !shotOfType.has(node.type);
					shotOfType.add(node.type);
					await openPanel(node.name, first ? `editor-${label}-${node.type.split('.')[1]}-panel` : undefined);
				}
				expect(pageErrors).toEqual([]);
			}, 300_000);
		}

		/** Creates a credential through the "Create credential" dialog; resolves once n8n has stored it. */
		async function createCredential(type: string, search: string, typeLabel: string, fill: () => Promise<void>, screenshot: string): Promise<{ id: string; name: string }> {
			const before = new Set((await credentialsOfType(type)).map((c) => c.id));
			await page.goto(`${context.instance.url}/home/credentials`);
			await page.locator('[data-test-id="add-resource-credential"]').click();
			await page.locator('[data-test-id="new-credential-type-select"] input').fill(search);
			await page.locator('[data-test-id="new-credential-type-select-option"]').filter({ hasText: typeLabel }).click();
			await page.locator('[data-test-id="new-credential-type-button"]').click();
			const dialog = page.locator('[data-test-id="credential-edit-dialog"]');
			await dialog.waitFor();
			await fill();
			await shot(`${screenshot}-form`);
			// The save button sits in the modal's header, outside the dialog's body.
			await page.locator('[data-test-id="credential-save-button"]').click();
			const created = await waitFor('the new credential in n8n', async () => (await credentialsOfType(type)).find((c) => !before.has(c.id)), { timeoutMs: 30_000 });
			await page.waitForTimeout(1000);
			await shot(screenshot);
			return created;
		}

		const param = (name: string) => page.locator(`[data-test-id="credential-edit-dialog"] [data-test-id="parameter-input-${name}"] input, [data-test-id="credential-edit-dialog"] [data-test-id="parameter-input-${name}"] textarea`).first();

		it('creates an Infor LN ION API credential from the UI', async () => {
			const created = await createCredential('inforLnIonApi', 'Infor LN', 'Infor LN ION API', async () => {
				await param('ionapiSecretFile').fill(context.env.LN_IONAPI);
				await param('company').fill(context.env.LN_COMPANY);
				// The emulator speaks plain http on this machine, which the credential allows only when told.
				await page.locator('[data-test-id="credential-edit-dialog"] [data-test-id="parameter-input-allowLoopbackHttp"] .el-switch').first().click();
			}, 'editor-credential-infor-ln');
			expect(created.name).toMatch(/Infor LN/);
		}, 120_000);

		it('creates a Microsoft Graph (app-only) credential from the UI', async () => {
			const created = await createCredential('microsoftGraphAppOnlyApi', 'Microsoft Graph (App', 'Microsoft Graph (App-Only) API', async () => {
				await param('tenantId').fill(context.env.GRAPH_TENANT_ID);
				await param('clientId').fill(context.env.GRAPH_CLIENT_ID);
				await param('clientSecret').fill(context.env.GRAPH_CLIENT_SECRET);
				await page.locator('[data-test-id="credential-edit-dialog"] [data-test-id="parameter-input-cloud"]').click();
				await page.locator('.el-select-dropdown__item:visible, [role="option"]:visible').filter({ hasText: /^Custom$/ }).first().click();
				await param('graphBaseUrl').fill(context.env.GRAPH_BASE_URL);
				await param('loginUrl').fill(context.env.GRAPH_LOGIN_URL);
			}, 'editor-credential-microsoft-graph');
			expect(created.name).toMatch(/Microsoft Graph/);
		}, 120_000);

		it('creates an Infor LN Webhook credential from the UI', async () => {
			const created = await createCredential('inforLnWebhookApi', 'Infor LN Webhook', 'Infor LN Webhook API', async () => {
				await param('secret').fill('a-secret-typed-in-the-editor-0123');
			}, 'editor-credential-infor-ln-webhook');
			expect(created.name).toMatch(/Infor LN Webhook/);
		}, 120_000);

		async function credentialsOfType(type: string): Promise<Array<{ id: string; name: string }>> {
			const list = await context.instance.rest<Array<{ id: string; name: string; type: string }>>('GET', '/credentials');
			return list.filter((c) => c.type === type);
		}
	});
}
