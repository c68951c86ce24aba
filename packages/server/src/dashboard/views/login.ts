import { html, type SafeHtml } from '../html.js';

/** The sign-in form; `csrfToken` is also in the sign-in cookie, and a post must carry both. */
export function loginView(next: string, error: string | null, csrfToken: string): SafeHtml {
  return html`<section class="panel sign-in" aria-labelledby="sign-in-heading">
    <h1 id="sign-in-heading">Sign in</h1>
    <p class="muted">Use an API key of your organization (<code>verdict keys create</code> makes one).</p>
    ${error ? html`<p class="flash flash-error" id="sign-in-error">${error}</p>` : ''}
    <form method="post" action="/login">
      <input type="hidden" name="_csrf" value="${csrfToken}">
      <input type="hidden" name="next" value="${next}">
      <label for="api-key">API key</label>
      <input id="api-key" name="api_key" type="password" autocomplete="current-password" required autofocus
        ${error ? html`aria-invalid="true" aria-describedby="sign-in-error"` : ''}>
      <button type="submit">Sign in</button>
    </form>
  </section>`;
}

export function logoutView(csrfToken: string): SafeHtml {
  return html`<section class="panel sign-in" aria-labelledby="sign-out-heading">
    <h1 id="sign-out-heading">Sign out</h1>
    <form method="post" action="/logout">
      <input type="hidden" name="_csrf" value="${csrfToken}">
      <button type="submit">Sign out of Verdict</button>
    </form>
  </section>`;
}

export function errorView(status: number, message: string): SafeHtml {
  return html`<section class="panel" aria-labelledby="error-heading">
    <h1 id="error-heading">${status === 404 ? 'Not found' : 'Something went wrong'}</h1>
    <p>${message}</p>
    <p><a href="/workflows">Back to workflows</a></p>
  </section>`;
}
