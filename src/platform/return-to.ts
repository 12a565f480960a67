/** Only same-site paths, so a crafted link cannot bounce a fresh sign-in (or a form) to another site. */
export function safeReturnTo(value: unknown): string {
  return typeof value === "string" && /^\/(?![/\\])/.test(value) ? value : "/";
}
