const { src, dest } = require('gulp');

/** Node and credential icons are not compiled by tsc; copy them next to the compiled files. */
function buildIcons() {
	return src(['nodes/**/*.{png,svg}', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(
		dest('dist'),
	);
}

exports['build:icons'] = buildIcons;
