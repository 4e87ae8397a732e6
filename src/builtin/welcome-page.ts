/** The page `wedge start` serves at / with the embedded default config. */
export function welcomePage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wedge is running</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d232a; }
  code, pre { font: 14px ui-monospace, monospace; background: #f2f4f7; border-radius: 4px; }
  code { padding: 0 .25rem; } pre { padding: .75rem; overflow-x: auto; }
  #log { min-height: 4rem; }
  .card { border: 2px solid #2f6fde; border-radius: 8px; padding: 0 1rem .5rem; margin: 1.5rem 0; }
  .button { display: inline-block; padding: .5rem 1rem; border-radius: 6px; background: #2f6fde; color: #fff; text-decoration: none; font-weight: 600; }
  [hidden] { display: none; }
</style>
</head>
<body>
<h1>Wedge ${version} is running</h1>
<p><strong>Wedge</strong> is a self-hostable CDN edge for WebSockets. In <em>proxy mode</em> it sits in front
of your origins and carries WebSocket and HTTP traffic, seeing every frame: it meters messages and bytes
live, enforces per-message limits, keeps quiet sockets open, and balances and fails over between origins.
With <em>origin-less apps</em> it runs code written for Cloudflare Workers and Durable Objects itself:
WebSocket rooms with the Hibernation API, storage and alarms, on your own machines.</p>
<section id="chat" class="card" hidden>
<h2>Chat between two tabs</h2>
<p>This edge runs an app: <code>examples/chat</code>, a chat room per Durable Object, served at
<a href="/chat/"><code>/chat/</code></a>. Open it in two tabs, pick a name in each, and talk.</p>
<p><a class="button" href="/chat/room/lobby" target="_blank" rel="noopener">Open the chat</a></p>
</section>
<h2>Echo</h2>
<p>The edge itself serves an echo WebSocket at <code>/echo</code>:</p>
<pre>npx wscat -c ws://localhost:8080/echo</pre>
<p><button id="send">Send "hello" to /echo</button></p>
<pre id="log"></pre>
<h2>Put it in front of your origin</h2>
<pre>listen: 127.0.0.1:8080
sites:
  - name: api
    hosts: [api.example.com, localhost]
    origins: [http://127.0.0.1:9101, http://127.0.0.1:9102]
    websocket: true</pre>
<pre>npx wedge check --config wedge.yaml
npx wedge start --config wedge.yaml</pre>
<h2>Run your own Workers app</h2>
<p>A site with <code>app:</code> instead of <code>origins:</code> runs a Workers + Durable Objects app from its
<code>wrangler.toml</code> (this chat is <code>examples/chat</code> in the package):</p>
<pre>listen: 127.0.0.1:8080
admin: { listen: 127.0.0.1:9090 }
sites:
  - name: chat
    app: { wrangler: ./chat/wrangler.toml }</pre>
<p>New versions go live without dropping connected sockets:</p>
<pre>npx wedge deploy ./chat --site chat --admin http://127.0.0.1:9090
npx wedge rollback --site chat --admin http://127.0.0.1:9090</pre>
<p>Every command: <code>npx wedge --help</code>. Every setting: <code>docs/configuration.md</code>; deploys: <code>docs/deploy.md</code>.</p>
<script>
  // The chat card shows only when this edge serves the chat app (the default config does).
  fetch('/chat/', { method: 'HEAD' }).then((response) => {
    if (response.ok && (response.headers.get('content-type') || '').startsWith('text/html')) document.getElementById('chat').hidden = false
  }, () => {})
  const log = document.getElementById('log')
  let ws
  document.getElementById('send').onclick = () => {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/echo'
    if (!ws || ws.readyState > 1) {
      ws = new WebSocket(url)
      ws.onmessage = (event) => { log.textContent += 'received: ' + event.data + '\\n' }
      ws.onclose = (event) => { log.textContent += 'closed: ' + event.code + '\\n' }
    }
    const send = () => { ws.send('hello'); log.textContent += 'sent: hello\\n' }
    if (ws.readyState === 1) send(); else ws.addEventListener('open', send, { once: true })
  }
</script>
</body>
</html>
`
}
