/** scripts/build-wasm.mjs, as the tests import it. */
export function compileGearScan(): Promise<string>;
export function render(base64: string): string;
