import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Dependencies point one way (ARCHITECTURE.md): app → shared; server → shared, scoring, instruments; scoring → instruments. */
const forbid = (groups, message) => ({
  "no-restricted-imports": ["error", { patterns: [{ group: groups, message }] }],
});

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "data/", "data-*/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["scoring/**", "instruments/**"],
    rules: forbid(["**/src/**", "react", "react-dom", "fastify", "survey-*", "pg", "@electric-sql/*", "node:*"], "scoring/ and instruments/ are pure data and functions: no src/, UI, server or I/O imports."),
  },
  {
    files: ["scoring/**"],
    rules: {
      "no-restricted-properties": ["error", { object: "Date", property: "now", message: "time is an argument in scoring/" }, { object: "Math", property: "random", message: "randomness is an argument in scoring/" }],
    },
  },
  {
    files: ["src/app/**"],
    rules: forbid(["**/server/**", "**/cli/**", "pg", "@electric-sql/*", "fastify", "node:*"], "src/app may import src/shared, never the server."),
  },
  {
    files: ["src/server/**"],
    rules: forbid(["**/app/**", "**/cli/**"], "the server never imports the SPA or the CLI."),
  },
);
