import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, html } from './html.js';

test('escapeHtml escapes the five characters that can open markup or end an attribute', () => {
  assert.equal(escapeHtml(`<img src=x onerror="alert('1')">&`), '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;');
});

test('html escapes interpolated strings but keeps nested templates as markup', () => {
  const name = '<img src=x onerror=alert(1)>';
  const cell = html`<td>${name}</td>`;
  assert.equal(html`<tr>${cell}</tr>`.text, '<tr><td>&lt;img src=x onerror=alert(1)&gt;</td></tr>');
});

test('html joins arrays, prints numbers and drops null, undefined and false', () => {
  assert.equal(html`<ul>${[1, 2].map((n) => html`<li>${n}</li>`)}</ul>${null}${undefined}${false}`.text, '<ul><li>1</li><li>2</li></ul>');
});

test('escaped strings inside arrays stay escaped', () => {
  assert.equal(html`${['<b>', html`<i>`]}`.text, '&lt;b&gt;<i>');
});
