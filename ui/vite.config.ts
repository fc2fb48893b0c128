import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The app's CSP (src-tauri/tauri.conf.json), with style-src tightened to
// 'self': Tauri adds hashes to style-src, which turns 'unsafe-inline' off, so
// the UI must not need inline styles (it sets styles through the CSSOM only).
// `vite preview` sends it, so the end-to-end tests run under it and fail on
// any violation.
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  'connect-src ipc: http://ipc.localhost';

export default defineConfig({
  plugins: [svelte()],
  // Tauri serves the bundle from its own origin; relative paths keep it portable.
  base: './',
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One CSS file, no inline <style> or <script>: nothing the CSP would block.
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: { port: 5173, strictPort: true },
  preview: { headers: { 'Content-Security-Policy': CSP } },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
