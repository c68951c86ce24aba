import { assetUrl, type AssetName } from './assets.js';
import { html, type SafeHtml } from './html.js';
import type { Session } from '../services/sessions.js';

export interface Flash {
  kind: 'notice' | 'error';
  message: string;
}

export type Section = 'workflows' | 'runs';

export interface PageContent {
  title: string;
  main: SafeHtml;
  session: Session | null;
  flash?: Flash | null;
  section?: Section;
  /** Page-specific scripts besides htmx, from the dashboard's assets. */
  scripts?: AssetName[];
}

// htmx would otherwise add an inline <style> (refused by the Content-Security-Policy) and may eval.
const HTMX_CONFIG = JSON.stringify({ includeIndicatorStyles: false, allowEval: false, allowScriptTags: false });

export function flashMessage(flash: Flash | null | undefined): SafeHtml {
  if (!flash) return html``;
  return html`<p class="flash flash-${flash.kind}">${flash.message}</p>`;
}

function navigation(session: Session | null, section: Section | undefined): SafeHtml {
  if (!session) return html``;
  const link = (href: string, label: string, name: Section) =>
    html`<a href="${href}" ${section === name ? html`aria-current="page"` : ''}>${label}</a>`;
  return html`<nav aria-label="Main">
      ${link('/workflows', 'Workflows', 'workflows')} ${link('/runs', 'Runs', 'runs')}
    </nav>
    <form method="post" action="/logout" class="sign-out">
      <input type="hidden" name="_csrf" value="${session.csrfToken}">
      <button type="submit" class="button-quiet">Sign out</button>
    </form>`;
}

export function renderPage(content: PageContent): string {
  const scripts = content.scripts ?? [];
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${content.title} · Verdict</title>
  <link rel="icon" href="${assetUrl('favicon.svg')}" type="image/svg+xml">
  <link rel="stylesheet" href="${assetUrl('dashboard.css')}">
  <meta name="htmx-config" content="${HTMX_CONFIG}">
  ${content.session ? html`<meta name="csrf-token" content="${content.session.csrfToken}">` : ''}
  <script src="${assetUrl('htmx.min.js')}" defer></script>
  ${scripts.map((name) => html`<script src="${assetUrl(name)}" defer></script>`)}
</head>
<body>
  <a class="skip-link" href="#content">Skip to content</a>
  <header class="top-bar">
    <a class="brand" href="/">Verdict</a>
    ${navigation(content.session, content.section)}
  </header>
  <main id="content" tabindex="-1">
    <div id="flash" role="status" aria-live="polite">${flashMessage(content.flash)}</div>
    ${content.main}
  </main>
</body>
</html>
`.text;
}
