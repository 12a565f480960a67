// Jest loads global setup outside its transform pipeline, so the TypeScript
// module is loaded through tsx (the same loader `npm start` uses).
import { tsImport } from "tsx/esm/api";

export default async function globalSetup() {
  const { startTestDatabase } = await tsImport("./test-database.ts", import.meta.url);
  globalThis.__testDatabase = await startTestDatabase();
}
