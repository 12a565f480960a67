// npm run admin:create -- --email EMAIL --name NAME [--password-file FILE] [--promote]
// Creates a site administrator (password from FILE, from a pipe, or typed at a prompt), or with
// --promote makes an existing account one. Uses DATABASE_URL or the embedded database.
// Exit status: 0 done, 1 refused (the reason on stderr).
import { parseArgs } from "node:util";
import { AdminInput, AdminService } from "../src/admin/admin.service.js";
import { fail, runCommand, readPassword, UsageError } from "../src/admin/admin.cli.js";
import { removeSetupToken } from "../src/admin/admin.setup.js";

const USAGE = "usage: npm run admin:create -- --email EMAIL --name NAME [--password-file FILE] [--promote]\n  The password is read from FILE, or from standard input, or asked for (not shown as you type).";
let args;
try {
  args = parseArgs({ options: { email: { type: "string" }, name: { type: "string" }, "password-file": { type: "string" }, promote: { type: "boolean", default: false }, help: { type: "boolean" } } }).values;
} catch (e) {
  fail(`${(e as Error).message}\n${USAGE}`);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!args.email) fail(`--email is required.\n${USAGE}`);
const email = AdminInput.shape.email.safeParse(args.email);
if (!email.success) fail(email.error.issues[0]!.message);

await runCommand("admin-create", async (rt) => {
  const existing = await rt.db.user.findUnique({ where: { email: email.data } });
  if (existing && !args.promote) throw new UsageError(`An account with the email ${email.data} already exists. To make it an administrator, run the command again with --promote.`);
  if (!existing && !args.name) throw new UsageError(`--name is required for a new account.\n${USAGE}`);
  // A promoted account keeps its password unless a file gives a new one.
  const password = existing && !args["password-file"] ? undefined : await readPassword(args["password-file"]);
  if (password !== undefined) {
    const checked = AdminInput.shape.password.safeParse(password);
    if (!checked.success) throw new UsageError(checked.error.issues[0]!.message);
  }
  const name = args.name ? AdminInput.shape.name.safeParse(args.name) : null;
  if (name && !name.success) throw new UsageError(name.error.issues[0]!.message);
  const { created } = await new AdminService({ db: rt.db }).createAdmin({ email: email.data, name: name?.data, password, promote: args.promote! });
  removeSetupToken(rt.config.DATA_DIR); // set-up is done
  process.stdout.write(created ? `Created the administrator ${email.data}. Sign in at /login.\n` : `${email.data} is now an administrator${password ? ", with the new password" : ""}.\n`);
});
