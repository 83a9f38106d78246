import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const clientDir = fileURLToPath(new URL('.', import.meta.url));
const repoDir = fileURLToPath(new URL('..', import.meta.url));
const backend = process.env.FUCHAN_API ?? 'http://localhost:3000';

// The browser client: root client/, built to client/dist, which the server serves on the same origin.
// It imports the shared zod schemas from ../models, so the dev server may read the whole repository.
export default defineConfig({
  root: clientDir,
  base: '/',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // echarts is loaded on demand (coordinator board only), so suppliers and buyers never download it
    chunkSizeWarningLimit: 700,
  },
  server: {
    port: 5173,
    fs: { allow: [repoDir] },
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/socket.io': { target: backend, ws: true, changeOrigin: false },
    },
  },
});
