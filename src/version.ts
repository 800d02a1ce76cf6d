// The version this build reports. Tools and job constraints compare against the Nomad release
// whose API and behaviour we match (`${attr.nomad.version}`, `nomad server members`' Build), so
// that is the version we report; our own release is carried beside it.

/** The Nomad release whose HTTP API, CLI and semantics this build matches. */
export const NOMAD_VERSION = '1.1.2';
/** Nomad's VersionPrerelease / VersionMetadata: none. */
export const NOMAD_VERSION_PRERELEASE = '';
/** Our own build, shown where Nomad shows its git revision. */
export const REVISION = 'nomad-ts-0.1.0';
