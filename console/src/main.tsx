import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n';
import './style.css';
import { SessionProvider } from './session';
import { App } from './App';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <App />
    </SessionProvider>
  </StrictMode>,
);
