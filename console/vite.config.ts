// The console's build: one hashed bundle into dist/console/www, which the HES serves at / (api/app.ts).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: 'console',
  base: '/',
  plugins: [react()],
  build: { outDir: '../dist/console/www', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
});
