// Keeps a run page current from the server's event stream (GET /runs/:id/events, and
// /workflow-runs/:id/events for a workflow run): the server
// sends the summary and changed result rows as HTML it rendered and escaped; this script only
// puts them in place. No polling: the stream ends with an `end` event once the run is terminal.
(function () {
  'use strict';

  var summary = document.querySelector('[data-run-events]');
  if (!summary || typeof EventSource === 'undefined') return;
  var rows = document.getElementById('result-rows');
  var source = new EventSource(summary.getAttribute('data-run-events'));

  // A live update replaces markup; when the replaced part held keyboard focus, the same element
  // (by id) or link (by href) in the new markup takes it back instead of leaving it on <body>.
  function focusKeyWithin(container) {
    var focused = document.activeElement;
    if (!focused || focused === document.body || !container.contains(focused)) return null;
    if (focused.id) return '#' + CSS.escape(focused.id);
    var href = focused.getAttribute('href');
    return href ? 'a[href="' + CSS.escape(href) + '"]' : null;
  }

  function restoreFocus(container, key) {
    if (!key || container.contains(document.activeElement)) return;
    var target = container.querySelector(key);
    if (target) target.focus({ preventScroll: true });
  }

  // htmx disables the Cancel button while its request is out, and a disabled button loses focus.
  var cancelHadFocus = false;
  var cancelForm = document.getElementById('cancel-form');
  if (cancelForm) {
    cancelForm.addEventListener('htmx:beforeRequest', function () {
      cancelHadFocus = cancelForm.contains(document.activeElement);
    });
    cancelForm.addEventListener('htmx:afterRequest', function () {
      var button = cancelForm.querySelector('button');
      if (cancelHadFocus && document.activeElement === document.body && document.contains(button)) button.focus();
      cancelHadFocus = false;
    });
  }

  function rowFromHtml(markup) {
    var template = document.createElement('template');
    template.innerHTML = markup.trim();
    return template.content.firstElementChild;
  }

  // Rows stay in run order: a new row goes before the first row with a later position.
  function placeRow(row, position) {
    var existing = document.getElementById(row.id);
    if (existing) {
      var focusKey = focusKeyWithin(existing);
      existing.replaceWith(row);
      restoreFocus(row, focusKey);
      return;
    }
    var last = rows.lastElementChild;
    if (!last || Number(last.getAttribute('data-position')) < position) {
      rows.appendChild(row);
      return;
    }
    var later = null;
    for (var i = 0; i < rows.children.length; i++) {
      if (Number(rows.children[i].getAttribute('data-position')) > position) {
        later = rows.children[i];
        break;
      }
    }
    rows.insertBefore(row, later);
  }

  source.addEventListener('summary', function (event) {
    var data = JSON.parse(event.data);
    var focusKey = focusKeyWithin(summary);
    summary.innerHTML = data.html;
    restoreFocus(summary, focusKey);
    if (data.terminal) {
      var cancel = document.getElementById('cancel-form');
      if (cancel) {
        var hadFocus = cancelHadFocus || cancel.contains(document.activeElement);
        cancel.remove();
        if (hadFocus) summary.focus();
      }
    }
  });

  source.addEventListener('results', function (event) {
    JSON.parse(event.data).rows.forEach(function (item) {
      placeRow(rowFromHtml(item.html), item.position);
    });
  });

  function replaceParts(event) {
    var parts = JSON.parse(event.data).html;
    Object.keys(parts).forEach(function (id) {
      var container = document.getElementById(id);
      if (!container) return;
      var focusKey = focusKeyWithin(container);
      container.innerHTML = parts[id];
      restoreFocus(container, focusKey);
    });
  }

  // Once the run is finished: its comparison with the previous run and the re-run buttons.
  source.addEventListener('finished', replaceParts);
  // A workflow run's step graph and selected step, as they change.
  source.addEventListener('parts', replaceParts);

  source.addEventListener('end', function () {
    source.close();
    summary.removeAttribute('data-run-events');
  });
})();
