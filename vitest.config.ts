import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // end-to-end suites start real daemons on sockets and namespaces of their own;
    // files run in parallel processes, tests inside one file sequentially
    pool: "forks",
    globalSetup: ["test/global-tmpdir.ts"]
  }
})
