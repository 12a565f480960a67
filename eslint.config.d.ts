// Types for what tests import from eslint.config.js (tests/unit/architecture.test.ts).
/** Which folders of src/ each folder may import from. */
export declare const LAYERS: Record<string, string[]>;
declare const config: unknown[];
export default config;
