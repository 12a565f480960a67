import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
);
