import pkg from '../../package.json' with { type: 'json' };

/** The package version, from package.json so it is written in one place (esbuild inlines it). */
export const version: string = pkg.version;
