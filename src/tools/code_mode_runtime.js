// Code mode's runtime: what a cell's node process runs (passed with -e; embedded in
// the binary at build time by cmake/EmbedText.cmake). It reads the init message from
// stdin, runs the model's source as the body of an async function whose parameters
// are the helpers, and speaks JSON lines on stdout (protocol: src/tools/code_mode.h).
'use strict';
const rl = require('node:readline').createInterface({input: process.stdin, crlfDelay: Infinity});
const waiting = new Map();
let kept = {};
let nextId = 0;
const say = (m) => process.stdout.write(JSON.stringify(m) + '\n');
const show = (v) => typeof v === 'string' ? v : v === undefined ? 'undefined'
  : (() => { try { return JSON.stringify(v); } catch (e) { return String(v); } })();
const text = (v) => say({type: 'output_text', text: show(v)});
const image = (v) => {
  if (typeof v === 'string') return say({type: 'output_image', image_url: v, detail: null});
  if (v && typeof v.image_url === 'string') return say({type: 'output_image', image_url: v.image_url, detail: v.detail ?? null});
  throw new Error('image() takes a URL string or {image_url, detail}');
};
const store = (k, v) => { kept[k] = v; };
const load = (k) => kept[k];
const STOP = Symbol('exit');
const exit = () => { throw STOP; };
const yield_control = async () => say({type: 'yield'});
const caller = (name) => (args = {}) => new Promise((resolve, reject) => {
  const id = 'call' + (nextId++);
  waiting.set(id, {resolve, reject});
  say({type: 'tool_call', id, tool_name: name, arguments: args});
});
function start(m) {
  kept = m.stored_values || {};
  const tools = {};
  for (const t of m.tools || []) tools[t.js_name] = caller(t.tool_name);
  const ALL_TOOLS = Object.freeze((m.tools || []).map((t) => ({name: t.js_name, description: t.description})));
  const done = (e) => say({type: 'result', stored_values: kept, error_text: e === undefined || e === STOP ? null : String(e && e.stack || e)});
  if (m.isolated) {
    /* a context of its own: the helpers and nothing of Node (no timers, no require) */
    const vm = require('node:vm');
    const ctx = vm.createContext({tools, text, image, store, load, ALL_TOOLS, yield_control});
    let fn;
    /* the source starts on line 49 of exec_main.mjs, as in upstream's cells, so the
       positions in error traces are the ones upstream reports */
    try { fn = vm.runInContext('(async () => {' + '\n'.repeat(48) + m.source + '\n})', ctx, {filename: 'exec_main.mjs'}); }
    catch (e) { done(e); return; }
    fn().then(() => done(), done);
    return;
  }
  const Body = Object.getPrototypeOf(async function () {}).constructor;
  let body;
  try {
    body = new Body('tools', 'text', 'image', 'store', 'load', 'exit', 'notify', 'ALL_TOOLS', 'yield_control', 'console', m.source);
  } catch (e) { say({type: 'result', stored_values: kept, error_text: String(e && e.stack || e)}); return; }
  body(tools, text, image, store, load, exit, text, ALL_TOOLS, yield_control, undefined)
    .then(() => say({type: 'result', stored_values: kept, error_text: null}),
          (e) => say({type: 'result', stored_values: kept, error_text: e === STOP ? null : String(e && e.stack || e)}));
}
let started = false;
rl.on('line', (line) => {
  if (!line.trim()) return;
  const m = JSON.parse(line);
  if (m.type === 'init' && !started) { started = true; start(m); return; }
  if (m.type === 'tool_result' && waiting.has(m.id)) {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.result); else w.reject(new Error(m.error || 'the tool failed'));
  }
});
rl.on('close', () => { if (waiting.size) process.exit(0); });
