// After tsc: the libraries the code needs at run time (@microsoft/microsoft-graph-client, luxon) are
// bundled once each into dist/vendor/ and the compiled files require them from there, so the package
// has no runtime dependencies (n8n's rule for community packages; n8n-workflow is a peer, n8n's own
// copy). Then .publish/ is the package as published (`npm pack .publish`): dist/, the workflows, the
// README and a manifest made from package.json without what only development needs (scripts,
// devDependencies, overrides). `node scripts/bundle.js --manifest` writes only the manifest (the
// lint step checks it with n8n's rules).
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const PUBLISH = path.join(ROOT, '.publish');
const VENDORED = { '@microsoft/microsoft-graph-client': 'microsoft-graph-client.js', luxon: 'luxon.js' };

function publishedManifest() {
	const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
	const published = {};
	for (const key of ['name', 'version', 'description', 'keywords', 'license', 'homepage', 'author', 'repository', 'bugs', 'engines']) {
		if (manifest[key] !== undefined) published[key] = manifest[key];
	}
	published.files = ['dist', 'workflows'];
	published.n8n = manifest.n8n;
	published.peerDependencies = manifest.peerDependencies;
	// Optional, so that `npm i` in ~/.n8n/nodes does not install its own n8n-workflow beside n8n's.
	published.peerDependenciesMeta = manifest.peerDependenciesMeta;
	return published;
}

function writeManifest() {
	fs.mkdirSync(PUBLISH, { recursive: true });
	fs.writeFileSync(path.join(PUBLISH, 'package.json'), `${JSON.stringify(publishedManifest(), null, 2)}\n`);
}

function compiledFiles(dir) {
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) return entry.name === 'vendor' ? [] : compiledFiles(full);
		return entry.name.endsWith('.js') ? [full] : [];
	});
}

async function bundle() {
	const esbuild = require('esbuild');
	const vendor = path.join(DIST, 'vendor');
	for (const [library, file] of Object.entries(VENDORED)) {
		await esbuild.build({
			entryPoints: [require.resolve(library, { paths: [ROOT] })],
			bundle: true,
			platform: 'node',
			format: 'cjs',
			target: 'node20',
			outfile: path.join(vendor, file),
			legalComments: 'inline',
			logLevel: 'warning',
		});
	}
	for (const file of compiledFiles(DIST)) {
		const source = fs.readFileSync(file, 'utf8');
		let rewritten = source;
		for (const [library, vendored] of Object.entries(VENDORED)) {
			let target = path.relative(path.dirname(file), path.join(vendor, vendored)).replace(/\\/g, '/');
			if (!target.startsWith('.')) target = `./${target}`;
			rewritten = rewritten.split(`require("${library}")`).join(`require("${target}")`);
		}
		const left = /require\("(?!n8n-workflow"|node:|\.)([^"]+)"\)/.exec(rewritten);
		if (left) throw new Error(`${path.relative(ROOT, file)} requires "${left[1]}", which the published package does not carry: bundle it (scripts/bundle.js)`);
		if (rewritten !== source) fs.writeFileSync(file, rewritten);
	}
	fs.rmSync(PUBLISH, { recursive: true, force: true });
	writeManifest();
	for (const file of ['README.md', 'LICENSE']) fs.copyFileSync(path.join(ROOT, file), path.join(PUBLISH, file));
	for (const dir of ['dist', 'workflows']) fs.cpSync(path.join(ROOT, dir), path.join(PUBLISH, dir), { recursive: true });
}

if (process.argv.includes('--manifest')) writeManifest();
else
	bundle().catch((error) => {
		process.stderr.write(`${error.stack ?? error}\n`);
		process.exit(1);
	});
