// npm run lti:rotate-key [-- --finish]: rotates the tool's LTI signing key in DATA_DIR in two steps (see README, LTI).
import { KeyRotationError, rotateToolKey } from "../src/lti/lti.keys.js";
import { loadConfig } from "../src/platform/config.js";

const finish = process.argv.includes("--finish");
try {
  const r = await rotateToolKey(loadConfig().DATA_DIR, { finish });
  if (finish) {
    console.log(`Rotation finished: ${r.current} now signs, in every running process; the old key ${r.retired} stays published until the next rotation.`);
  } else {
    console.log(`New tool key ${r.next} staged: /lti/jwks publishes it now beside the signing key ${r.current}.`);
    console.log("Platforms cache key sets for up to a day: tomorrow, run `npm run lti:rotate-key -- --finish` to sign with it.");
  }
} catch (e) {
  if (!(e instanceof KeyRotationError)) throw e;
  console.error(e.message);
  process.exit(1);
}
