/**
 * The interactive docs page: one self-contained HTML document (no external
 * assets, so it works on closed networks). It reads /openapi.json, shows the
 * endpoints and the input columns, and has a "try it" form that posts rows
 * to /predict and shows the answer.
 */
export function docsPage(title: string, nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · modelbundle</title>
<style nonce="${nonce}">
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; color: #1b1f24; }
  h1 { font-size: 1.5rem; margin-bottom: 0; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
  code, pre, textarea { font: 13px/1.4 ui-monospace, monospace; }
  pre { background: #f6f8fa; padding: .75rem; overflow: auto; border-radius: 6px; }
  table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; }
  .method { font-weight: 700; color: #0550ae; } .muted { color: #57606a; }
  form.row { display: grid; grid-template-columns: max-content 1fr; gap: .35rem .75rem; align-items: center; max-width: 36rem; }
  textarea { width: 100%; min-height: 7rem; box-sizing: border-box; }
  button { font-size: 1rem; padding: .35rem 1.2rem; margin-top: .75rem; cursor: pointer; }
  #status.error { color: #cf222e; } #status.ok { color: #1a7f37; }
</style>
</head>
<body>
<h1 id="title">${escapeHtml(title)}</h1>
<p class="muted" id="description">Loading the API description…</p>
<h2>Endpoints</h2>
<table id="endpoints"><tr><th>Method</th><th>Path</th><th>What it does</th></tr></table>
<p class="muted">Machine-readable description: <a href="openapi.json">openapi.json</a>.</p>
<h2>Input columns</h2>
<table id="columns"><tr><th>Column</th><th>Type</th><th>Allowed values</th></tr></table>
<h2>Try it</h2>
<form class="row" id="row-form"></form>
<p><label>Prediction type <select id="type"></select></label></p>
<p><label for="body">Request body (edit freely: several rows are fine)</label><br><textarea id="body" spellcheck="false"></textarea></p>
<button id="send" type="button">Send to POST /predict</button>
<p id="status" role="status"></p>
<pre id="response" aria-live="polite"></pre>
<h2>From a terminal</h2>
<pre id="curl"></pre>
<script nonce="${nonce}">
(async () => {
  const $ = (id) => document.getElementById(id);
  const cell = (tr, text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); };
  const api = await (await fetch('openapi.json')).json();
  $('description').textContent = api.info.description;
  for (const [path, ops] of Object.entries(api.paths)) for (const [method, op] of Object.entries(ops)) {
    const tr = document.createElement('tr'); cell(tr, method.toUpperCase(), 'method'); cell(tr, path); cell(tr, op.summary || ''); $('endpoints').appendChild(tr);
  }
  const row = api.components.schemas.Row, props = row.properties || {};
  const predict = api.paths['/predict'].post;
  const example = (predict.requestBody.content['application/json'].example || [{}])[0];
  // Only the columns a row needs get a field (an optional outcome column does not).
  const needed = new Set(row.required || Object.keys(props));
  for (const name of Object.keys(props)) if (!needed.has(name)) delete props[name];
  const types = (schema) => [].concat(schema.type || []);
  const isNumeric = (schema) => types(schema).some((t) => t === 'number' || t === 'integer');
  const isList = (schema) => types(schema).includes('array');
  const nullable = (schema) => types(schema).includes('null') || (schema.enum || []).includes(null);
  for (const [name, schema] of Object.entries(props)) {
    const tr = document.createElement('tr'); cell(tr, name); cell(tr, types(schema).join(' | ') || 'any');
    cell(tr, schema.enum ? schema.enum.filter((v) => v !== null).join(', ') : isList(schema) ? 'JSON list' + shapeOf(schema) : schema.description || ''); $('columns').appendChild(tr);
    const label = document.createElement('label'); label.textContent = name; label.htmlFor = 'col-' + name;
    let input;
    if (schema.enum) {
      input = document.createElement('select');
      for (const v of schema.enum) input.add(new Option(v === null ? '(missing)' : String(v), v === null ? '' : String(v)));
    } else {
      input = document.createElement('input');
      input.type = isNumeric(schema) && !isList(schema) ? 'number' : 'text';
      if (input.type === 'number') input.step = 'any';
      if (nullable(schema)) input.placeholder = 'empty: missing';
    }
    const value = example[name];
    input.id = 'col-' + name; input.name = name;
    input.value = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    input.addEventListener('input', syncBody); input.addEventListener('change', syncBody);
    $('row-form').append(label, input);
  }
  function shapeOf(schema) { const dims = []; for (let s = schema; s && isList(s); s = s.items) dims.push(s.minItems === s.maxItems && s.minItems !== undefined ? s.minItems : 'any'); return ' [' + dims.join(' × ') + ']'; }
  if (Object.keys(props).length === 0) $('row-form').textContent = 'This model does not describe its columns; write the rows as JSON below.';
  const typeSchema = predict.parameters[0].schema;
  $('type').add(new Option('(default)', ''));
  for (const t of typeSchema.enum || []) $('type').add(new Option(t, t));
  /** Each field as the JSON value its schema asks for: lists are parsed as JSON, numbers as numbers, empty as null. */
  function rowFromForm() {
    const out = {};
    for (const [name, schema] of Object.entries(props)) {
      const raw = $('col-' + name).value;
      if (raw === '') out[name] = nullable(schema) || !types(schema).includes('string') ? null : '';
      else if (isList(schema) || !schema.type) { try { out[name] = JSON.parse(raw); } catch { out[name] = raw; } }
      else if (isNumeric(schema)) out[name] = Number(raw);
      else if (types(schema).includes('boolean')) out[name] = raw === 'true';
      else out[name] = raw;
    }
    return out;
  }
  function syncBody() { $('body').value = JSON.stringify([Object.keys(props).length ? rowFromForm() : example], null, 2); updateCurl(); }
  function updateCurl() {
    const type = $('type').value, url = new URL('predict' + (type ? '?type=' + encodeURIComponent(type) : ''), location.href);
    let body = $('body').value; try { body = JSON.stringify(JSON.parse(body)); } catch {}
    $('curl').textContent = "curl -s -X POST '" + url + "' -H 'content-type: application/json' -d '" + body.replace(/'/g, "'\\\\''") + "'";
  }
  $('type').addEventListener('change', updateCurl); $('body').addEventListener('input', updateCurl);
  syncBody();
  $('send').addEventListener('click', async () => {
    const type = $('type').value;
    $('status').textContent = 'Sending…'; $('status').className = '';
    try {
      const res = await fetch('predict' + (type ? '?type=' + encodeURIComponent(type) : ''), { method: 'POST', headers: { 'content-type': 'application/json' }, body: $('body').value });
      const text = await res.text();
      let shown = text; try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
      $('status').textContent = 'HTTP ' + res.status + (res.ok ? '' : ' — see the error below'); $('status').className = res.ok ? 'ok' : 'error';
      $('response').textContent = shown;
    } catch (e) { $('status').textContent = 'Request failed: ' + e.message; $('status').className = 'error'; }
  });
  document.body.dataset.ready = 'true';
})().catch((e) => { document.getElementById('description').textContent = 'Could not load openapi.json: ' + e.message; });
</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
