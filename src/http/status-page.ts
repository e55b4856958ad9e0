/**
 * The status page at `/`: one HTML document with its CSS and script inline, so the gateway serves it with no
 * file access and the browser fetches nothing but this gateway's own API (/v1/status, /v1/pending, /readyz and
 * the approve / reject routes). A Content-Security-Policy with the script's hash enforces that.
 */
import { createHash } from 'node:crypto'

const style = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #222; }
header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; border-bottom: 1px solid #ddd; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
th { font-weight: 600; background: #f5f5f5; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .6rem; color: #fff; font-size: .8rem; font-weight: 600; }
.OK, .ACTIVE, .ready { background: #2e7d32; } .LAGGING, .PROPOSED, .SUSPENDED { background: #ef6c00; }
.STALLED, .TERMINATED, .not-ready { background: #c62828; } .STOPPED { background: #6a1b9a; }
.muted { color: #777; } .error { color: #c62828; } .notice { color: #2e7d32; }
.links { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 1rem; }
.link { border: 1px solid #ddd; border-radius: .4rem; padding: .6rem; }
input { font: inherit; padding: .2rem .4rem; } button { font: inherit; cursor: pointer; }
form.inline { display: inline; }
`

const script = `
const tokenKey = 'acmgw.token'
const $ = (id) => document.getElementById(id)
function el(tag, attrs, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v)
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)))
  return node
}
const badge = (text) => el('span', { class: 'badge ' + text }, text)
function headers(json) {
  const h = {}
  const token = sessionStorage.getItem(tokenKey)
  if (token) h.authorization = 'Bearer ' + token
  if (json) h['content-type'] = 'application/json'
  return h
}
async function api(path, init) {
  const response = await fetch(path, { ...(init || {}), headers: headers(init && init.body) })
  if (response.status === 401) { $('token-form').hidden = false; throw new Error('this gateway needs its API token') }
  const body = await response.json()
  if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText)
  return body
}
function table(head, rows, empty) {
  if (rows.length === 0) return el('p', { class: 'muted' }, empty)
  return el('table', {}, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows))
}
function fill(id, node) { $(id).replaceChildren(node) }
const seconds = (s) => (s == null ? 'age unknown' : s < 10 ? s.toFixed(1) + ' s' : Math.round(s) + ' s')

function renderLinks(status) {
  if (status.links.length === 0) return fill('links', el('p', { class: 'muted' }, status.lag.error || 'no sample yet'))
  const cards = status.links.map((l) => {
    const chart = el('div', { class: 'chart' })
    chart.innerHTML = l.chart
    return el('div', { class: 'link', 'data-partner': l.partner },
      el('div', {}, el('strong', {}, l.partner + ' → ' + status.system), ' ', badge(l.status)),
      el('div', {}, l.lagMessages + ' messages behind, ' + seconds(l.lagSeconds) + ' — ' + l.reason),
      chart)
  })
  $('links').replaceChildren(...cards)
  $('lag-note').textContent = 'sampled every ' + status.lag.intervalMs / 1000 + ' s' + (status.lag.error ? '; last sample failed: ' + status.lag.error : '')
}

// The ids shown, so that a refresh does not wipe a reason being typed; null forces a redraw.
let shownPending = null
function renderPending(list) {
  const ids = list.map((p) => p.messageId).join(',')
  if (ids === shownPending) return
  shownPending = ids
  fill('pending', table(['received', 'partner', 'kind', 'requester', 'urgency', 'decide by', 'decision'],
    list.map((p) => el('tr', { 'data-id': p.messageId },
      el('td', {}, p.receivedAt), el('td', {}, p.partner), el('td', {}, p.kind),
      el('td', {}, p.requester.mcServiceId), el('td', {}, p.urgency), el('td', {}, p.decideBy),
      el('td', {},
        el('button', { type: 'button', 'data-approve': p.messageId }, 'Approve'), ' ',
        el('input', { 'data-reason': p.messageId, placeholder: 'reason (needed to reject)', size: '22' }), ' ',
        el('button', { type: 'button', 'data-reject': p.messageId }, 'Reject')))),
    'nothing waits for a decision'))
}

function render(status, pending, ready) {
  $('system').textContent = status.system
  const readyBadge = badge(ready.ready ? 'ready' : 'not-ready')
  readyBadge.textContent = ready.ready ? 'ready' : 'not ready'
  readyBadge.title = Object.entries(ready.checks).map(([k, c]) => k + ': ' + c.detail).join('\\n')
  $('ready').replaceChildren(readyBadge)
  renderLinks(status)
  fill('agreements', table(['agreement', 'partner', 'status', 'services', 'categories', 'valid until'],
    status.agreements.map((a) => el('tr', {}, el('td', {}, a.id), el('td', {}, a.partner), el('td', {}, badge(a.status)),
      el('td', {}, a.services.join(', ')), el('td', {}, a.categories.join(', ')), el('td', {}, a.validUntil || '—'))),
    'no agreements'))
  renderPending(pending)
  fill('rejections', table(['at', 'partner', 'kind', 'what', 'code'],
    status.rejections.map((r) => el('tr', {}, el('td', {}, r.at), el('td', {}, r.partner || '—'), el('td', {}, r.kind || '—'),
      el('td', {}, r.type), el('td', {}, r.reasonCode || r.outcome || ''))),
    'no rejections since the gateway started'))
  fill('dead-letters', table(['at', 'partner', 'code', 'reason', 'record'],
    status.deadLetters.map((d) => el('tr', {}, el('td', {}, d.at), el('td', {}, d.partner || '—'), el('td', {}, d.reasonCode),
      el('td', {}, d.reason), el('td', {}, d.original.topic + '/' + d.original.partition + '@' + d.original.offset))),
    'no dead letters'))
}

// A refresh that started before a newer one (or before a decision) must not paint its older answers over it.
let generation = 0
let busy = false
async function refresh() {
  const mine = ++generation
  busy = true
  try {
    const [status, pending, ready] = await Promise.all([
      api('/v1/status'), api('/v1/pending'), fetch('/readyz').then((r) => r.json())
    ])
    if (mine !== generation) return
    $('token-form').hidden = true
    render(status, pending, ready)
    $('error').textContent = ''
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString()
  } catch (error) {
    $('error').textContent = error.message
  } finally {
    if (mine === generation) busy = false
  }
}

async function decide(id, verb) {
  const approver = $('approver').value.trim()
  if (!approver) { $('decision').className = 'error'; $('decision').textContent = 'enter your MC service ID as the approver first'; $('approver').focus(); return }
  const reasonField = document.querySelector('[data-reason="' + CSS.escape(id) + '"]')
  const reason = reasonField ? reasonField.value.trim() : ''
  if (verb === 'reject' && !reason) { $('decision').className = 'error'; $('decision').textContent = 'a rejection needs a reason'; return }
  const body = { approver: { mcServiceId: approver } }
  if (reason) body.reason = reason
  try {
    const trace = await api('/v1/pending/' + encodeURIComponent(id) + '/' + verb, { method: 'POST', body: JSON.stringify(body) })
    $('decision').className = 'notice'
    $('decision').textContent = verb + 'd ' + id + ': final answer ' + (trace.outcome || trace.status)
    shownPending = null
    await refresh()
  } catch (error) {
    $('decision').className = 'error'
    $('decision').textContent = error.message
  }
}

document.addEventListener('click', (event) => {
  const target = event.target
  if (!(target instanceof HTMLElement)) return
  if (target.dataset.approve) void decide(target.dataset.approve, 'approve')
  if (target.dataset.reject) void decide(target.dataset.reject, 'reject')
})
$('token-form').addEventListener('submit', (event) => {
  event.preventDefault()
  sessionStorage.setItem(tokenKey, $('token').value)
  $('token').value = ''
  void refresh()
})
void refresh()
// A slow gateway must not have each refresh superseded by the next one: skip a tick while one is running.
setInterval(() => { if (!busy) void refresh() }, 5000)
`

const body = `
<header>
  <h1>MCX ACM gateway <span id="system"></span></h1>
  <span id="ready"></span>
  <span id="updated" class="muted"></span>
  <span id="error" class="error"></span>
</header>
<form id="token-form" hidden>
  <p>This gateway requires its API token. It is kept in this tab's session storage only.</p>
  <input id="token" type="password" autocomplete="off" placeholder="API token" required>
  <button type="submit">Use token</button>
</form>
<h2>Links into this gateway</h2>
<p id="lag-note" class="muted"></p>
<div id="links" class="links"></div>
<h2>Agreements</h2>
<div id="agreements"></div>
<h2>Pending requests</h2>
<p><label>Approver (your MC service ID) <input id="approver" size="36" placeholder="sip:you@your-system.example"></label>
<span id="decision"></span></p>
<div id="pending"></div>
<h2>Recent rejections</h2>
<div id="rejections"></div>
<h2>Dead letters</h2>
<div id="dead-letters"></div>
`

export const statusPageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MCX ACM gateway status</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body>${body}<script>${script}</script>
</body>
</html>
`

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

/** Only this page's own script and style run, and it talks to nothing but this gateway. */
export const statusPageCsp = [
  "default-src 'none'",
  `script-src ${hash(script)}`,
  `style-src ${hash(style)}`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')
