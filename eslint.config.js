import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Which folders of src/ each folder may import from (ARCHITECTURE.md): lower layers never import
// higher ones, features never import content/, platform/ imports no feature. src/*.ts (app, server,
// worker: the wiring) may import anything. Checked by tests/unit/architecture.test.ts too.
export const LAYERS = {
  platform: ["generated"],
  grading: ["platform"],
  auth: ["platform"],
  courses: ["platform", "auth"],
  lti: ["platform", "auth", "courses"],
  readings: ["platform", "courses"],
  checklist: ["platform", "courses", "readings"],
  reviews: ["platform", "courses", "checklist"],
  quiz: ["platform", "courses", "readings", "checklist", "reviews"],
  casestudy: ["platform", "grading", "courses", "readings", "checklist", "reviews"],
  week: ["platform", "courses", "readings", "checklist", "reviews", "quiz", "casestudy"],
  dashboard: ["platform", "courses", "readings", "checklist", "reviews", "quiz", "casestudy"],
  content: ["platform", "readings", "quiz", "casestudy"],
  admin: ["platform", "auth", "courses"],
  demo: ["platform", "auth", "courses"],
};
const FOLDERS = [...Object.keys(LAYERS), "generated"];

/** One no-restricted-imports rule per folder: a relative import that climbs out into a folder it may not use. */
const importBoundaries = Object.entries(LAYERS).map(([folder, allowed]) => {
  const forbidden = FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{
          regex: `^(\\.\\./)+(${forbidden.join("|")})/`,
          message: `src/${folder}/ may import only from ${allowed.map((f) => `src/${f}/`).join(", ") || "no other folder"} (ARCHITECTURE.md: allowed directions of imports).`,
        }],
      }],
    },
  };
});

export default tseslint.config(
  { ignores: ["node_modules/", "src/generated/", ".data/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", fetch: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    files: ["views/assets/js/**/*.js"],
    languageOptions: { globals: { document: "readonly", window: "readonly", HTMLFormElement: "readonly", setTimeout: "readonly", clearTimeout: "readonly", XMLHttpRequest: "readonly", fetch: "readonly", FormData: "readonly", HTMLElement: "readonly", HTMLInputElement: "readonly", URLSearchParams: "readonly", navigator: "readonly" } },
  },
  {
    files: ["tests/helpers/*.mjs"],
    languageOptions: { globals: { globalThis: "readonly" } },
  },
  ...importBoundaries,
);
