/** Builds and packs the package once for all end-to-end test files (they install the tarball). */
import { buildAndPack } from '../../scripts/n8n/package';

export default async function globalSetup(): Promise<void> {
	const started = Date.now();
	const tarball = await buildAndPack();
	process.stdout.write(`\n[e2e] built and packed ${tarball} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
