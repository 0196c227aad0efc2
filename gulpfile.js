const { src, dest } = require('gulp');

/** Icons and the nodes' codex files (*.node.json) are not compiled by tsc; copy them next to the compiled files. */
function buildIcons() {
	return src(['nodes/**/*.{png,svg}', 'nodes/**/*.node.json', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(
		dest('dist'),
	);
}

exports['build:icons'] = buildIcons;
