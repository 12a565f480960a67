// npm run lti:rotate-key [-- --finish]: rotates the tool's LTI signing key in DATA_DIR (see README, LTI).
import { rotateToolKey } from "../src/auth/lti.keys.js";
import { loadConfig } from "../src/platform/config.js";

const finish = process.argv.includes("--finish");
const { current, previous } = await rotateToolKey(loadConfig().DATA_DIR, { finish });
if (finish) {
  console.log(`Rotation finished: /lti/jwks now publishes only the current key (${current}).`);
} else {
  console.log(`New tool key ${current}; the previous key ${previous} stays published at /lti/jwks.`);
  console.log("Restart every web and worker process so they sign with the new key. After a day (platforms cache key sets),");
  console.log("run `npm run lti:rotate-key -- --finish` to stop publishing the previous key.");
}
